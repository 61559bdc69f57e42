import { Writable } from 'node:stream'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildApp } from '../src/app.ts'
import { createVerifier } from '../src/auth/create-verifier.ts'
import { createPool, type Pool } from '../src/db/pool.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Attack suite, issue 23 finding 8: a token in the query string is refused with 400, and the access log never
 * writes the value of `access_token`, `token` or `code`.
 */
const SECRET = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl'

describe('secrets in the query string', () => {
  let registry: TestRegistry
  let app: App
  let pool: Pool
  const lines: string[] = []
  beforeAll(async () => {
    registry = await startTestRegistry()
    pool = createPool({ connectionString: registry.config.databaseUrl, max: 2, statementTimeoutMs: 10_000 })
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk))
        done()
      },
    })
    app = await buildApp({
      config: registry.config,
      pool,
      verifier: createVerifier(registry.config.oauth),
      logger: { level: 'info', stream },
    })
  })
  afterAll(async () => {
    await app.close()
    await pool.end()
    await registry.close()
  }, 120_000)

  const accessLog = () => lines.filter((line) => line.includes('request completed')).join('\n')

  it.each(['access_token', 'token', 'Access_Token', 'access%5Ftoken'])(
    '?%s=… is refused with 400, header or not',
    async (name) => {
      const bearer = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: DEMO.enterprise })
      for (const headers of [{}, { authorization: `Bearer ${bearer}` }]) {
        const response = await app.inject({ url: `/ebox/messages?${name}=${SECRET}`, headers })
        expect(response.statusCode).toBe(400)
        expect(response.json()).toMatchObject({
          code: 'INVALID_INPUT',
          message: expect.stringContaining('Authorization header'),
        })
        expect(response.body).not.toContain(SECRET)
      }
    },
  )

  it('the access log redacts access_token, token and code', async () => {
    for (const url of [
      `/ebox/messages?access_token=${SECRET}`,
      `/health/live?token=${SECRET}`,
      `/certification/version?code=${SECRET}&x=1`,
    ]) {
      await app.inject({ url })
    }
    const log = accessLog()
    expect(log).toContain('request completed')
    expect(log).not.toContain(SECRET)
    expect(log).toContain('code=[REDACTED]&x=1')
    expect(log).toContain('access_token=[REDACTED]')
  })
})
