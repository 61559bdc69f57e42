import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OAUTH_MODES, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Attack suite, issue 23 finding 10: two Authorization headers are refused (not "the first wins"), time claims of
 * the wrong type are refused in introspection mode, and tokens with an excessive lifetime or issued in the future
 * are refused (OAUTH_MAX_TOKEN_LIFETIME_SECONDS).
 */
const LIST = '/ebox/messages'
const consult = [SCOPES.documentConsumer]

describe.each(OAUTH_MODES)('token hygiene — %s verifier', (mode) => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startTestRegistry({ OAUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }, { oauthMode: mode })
  })
  afterAll(async () => registry.close(), 120_000)

  const token = (claims: Record<string, unknown> = {}) =>
    registry.token({ scopes: consult, cbe: DEMO.enterprise, ...claims })
  const call = (headers: Record<string, string | string[]>) => registry.app.inject({ url: LIST, headers })
  const now = () => Math.floor(Date.now() / 1000)

  it('control: a token of ordinary lifetime is accepted', async () => {
    expect((await call({ authorization: `Bearer ${await token()}` })).statusCode).toBe(200)
  })

  it('two Authorization headers → 400, whichever comes first', async () => {
    const valid = `Bearer ${await token()}`
    for (const pair of [
      [valid, 'Bearer forged'],
      ['Bearer forged', valid],
    ]) {
      const response = await call({ authorization: pair })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('one'),
      })
    }
  })

  it('a lifetime above the maximum → 401', async () => {
    const response = await call({ authorization: `Bearer ${await token({ expiresIn: 10 * 3600 })}` })
    expect(response.statusCode).toBe(401)
    const forever = await token({ extra: { exp: 10 ** 12 } })
    expect((await call({ authorization: `Bearer ${forever}` })).statusCode).toBe(401)
  })

  it('issued in the future → 401', async () => {
    const future = await token({ extra: { iat: now() + 3600 } })
    expect((await call({ authorization: `Bearer ${future}` })).statusCode).toBe(401)
  })

  it.each([
    ['exp', { exp: 'never' }],
    ['nbf', { nbf: 'now' }],
    ['iat', { iat: [1] }],
  ])('%s of the wrong type → 401', async (_name, extra) => {
    expect((await call({ authorization: `Bearer ${await token({ extra })}` })).statusCode).toBe(401)
  })
})
