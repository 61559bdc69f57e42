import { SCOPES } from '@ebox/contract'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
  // A route that needs the consultation scopes, reporting whom the token speaks for.
  registry.app.get('/test/protected', { config: { operation: 'listMessages' } }, async (request) => ({
    ebox: request.principal?.ebox,
    clientId: request.principal?.clientId,
  }))
  await registry.app.ready()
})
afterAll(() => registry.close())

const consult = [SCOPES.documentConsumer]
const call = (authorization?: string) =>
  registry.app.inject({ url: '/test/protected', headers: authorization ? { authorization } : {} })

function expectUnauthenticated(response: Awaited<ReturnType<typeof call>>) {
  expect(response.statusCode).toBe(401)
  expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED', environment: 'test' })
  expect(response.body).not.toContain('0406798006')
}

describe('authentication', () => {
  it('200 with a valid token, the CBE padded to 10 digits', async () => {
    const token = await registry.token({ scopes: consult, cbe: '406798006', clientId: 'dc-app' })
    const response = await call(`Bearer ${token}`)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      ebox: { eboxType: 'enterprise', id: '0406798006' },
      clientId: 'dc-app',
    })
  })

  it('accepts the legacy messagesfull scope', async () => {
    const token = await registry.token({ scopes: [SCOPES.messagesFull] })
    expect((await call(`Bearer ${token}`)).statusCode).toBe(200)
  })

  it('401 without a token, with a WWW-Authenticate challenge', async () => {
    const response = await call()
    expectUnauthenticated(response)
    expect(response.headers['www-authenticate']).toBe('Bearer')
  })

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer  two spaces', 'bearer'])(
    '401 for header "%s"',
    async (header) => {
      expectUnauthenticated(await call(header))
    },
  )

  it('401 for a garbage token', async () => {
    expectUnauthenticated(await call('Bearer not.a.jwt'))
  })

  it('401 for an expired token', async () => {
    const token = await registry.token({ scopes: consult, expiresIn: -120 })
    expectUnauthenticated(await call(`Bearer ${token}`))
  })

  it('401 for a token not valid yet (nbf in the future)', async () => {
    const token = await registry.token({ scopes: consult, notBefore: Math.floor(Date.now() / 1000) + 600 })
    expectUnauthenticated(await call(`Bearer ${token}`))
  })

  it('401 for a wrong issuer', async () => {
    const token = await registry.token({ scopes: consult, issuer: 'https://evil.example' })
    expectUnauthenticated(await call(`Bearer ${token}`))
  })

  it('401 for a wrong audience', async () => {
    const token = await registry.token({ scopes: consult, audience: 'another-service' })
    expectUnauthenticated(await call(`Bearer ${token}`))
  })

  it('401 for an unsigned token (alg: none)', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({
      iss: registry.issuer.issuer,
      aud: AUDIENCE,
      exp: now + 300,
      scope: consult.join(' '),
      principalAttributes: { 'urn:be:fgov:kbo-bce:organization:cbe-number': ['0406798006'] },
    })}.`
    expectUnauthenticated(await call(`Bearer ${unsigned}`))
  })

  it('401 for a token signed by another key under the issuer kid', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({
      scope: consult.join(' '),
      principalAttributes: { 'urn:be:fgov:kbo-bce:organization:cbe-number': ['0406798006'] },
    })
      .setProtectedHeader({ alg: 'RS256', kid: registry.issuer.kid, typ: 'at+jwt' })
      .setIssuer(registry.issuer.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey)
    expectUnauthenticated(await call(`Bearer ${forged}`))
  })

  it('401 for HS256 signed with the public key as secret (algorithm confusion)', async () => {
    const jwks = (await (await fetch(registry.issuer.jwksUrl)).json()) as { keys: object[] }
    const publicJwk = JSON.stringify(jwks.keys[0])
    const forged = await new SignJWT({ scope: consult.join(' ') })
      .setProtectedHeader({ alg: 'HS256', kid: registry.issuer.kid })
      .setIssuer(registry.issuer.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicJwk))
    expectUnauthenticated(await call(`Bearer ${forged}`))
  })

  it('401 for a token whose embedded jwk header names the forger key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ scope: consult.join(' ') })
      .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(publicKey) })
      .setIssuer(registry.issuer.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey)
    expectUnauthenticated(await call(`Bearer ${forged}`))
  })
})

describe('authorisation', () => {
  it('403 for a valid token without an accepted scope', async () => {
    const token = await registry.token({ scopes: [SCOPES.referenceData] })
    const response = await call(`Bearer ${token}`)
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN' })
    expect(response.headers['www-authenticate']).toContain('insufficient_scope')
  })

  it('public routes need no token', async () => {
    expect((await registry.app.inject('/certification/version')).statusCode).toBe(200)
  })
})
