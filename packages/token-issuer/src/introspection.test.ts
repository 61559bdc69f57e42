import { SCOPES } from '@ebox/contract'
import { generateKeyPair, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { buildClientAssertion, createClientCredentials } from './client-credentials.ts'
import { CBE_ATTRIBUTE, CLIENT_ASSERTION_TYPE, INTROSPECT_SCOPE } from './constants.ts'
import { startTokenIssuer, type TokenIssuer } from './issuer.ts'
import { postForm } from './test-support.ts'

describe('POST /introspect (RFC 7662)', () => {
  let issuer: TokenIssuer
  let dpToken: string

  beforeAll(async () => {
    issuer = await startTokenIssuer()
    // The DP obtains its introspect token the real way.
    const dp = await createClientCredentials('dp')
    await issuer.registerClient(dp.clientId, dp.publicJwk, { scopes: [INTROSPECT_SCOPE] })
    const answer = await postForm(issuer.tokenUrl, {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await buildClientAssertion(dp.clientId, dp.privateKey, issuer.tokenUrl),
      scope: INTROSPECT_SCOPE,
    })
    dpToken = String(answer.body.access_token)
  })
  afterEach(() => {
    issuer.setIntrospectionBehaviour('normal')
  })
  afterAll(async () => {
    await issuer.close()
  })

  /** `bearer: null` sends no Authorization header. */
  const introspect = (token: string, bearer: string | null = dpToken) =>
    postForm(issuer.introspectionUrl, { token }, bearer === null ? {} : { authorization: `Bearer ${bearer}` })

  it('answers active with the federation fields for a minted token', async () => {
    const token = await issuer.mint({
      scopes: [SCOPES.documentConsumer],
      cbe: '123456789',
      clientId: 'consumer',
    })
    const answer = await introspect(token)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('application/json')
    expect(answer.body).toEqual({
      active: true,
      token_type: 'access_token',
      client_id: 'consumer',
      sub: 'consumer',
      aud: issuer.audience,
      iss: issuer.issuer,
      jti: expect.any(String),
      scope: SCOPES.documentConsumer,
      principalAttributes: { [CBE_ATTRIBUTE]: ['123456789'] },
      iat: expect.any(Number),
      nbf: expect.any(Number),
      exp: expect.any(Number),
    })
    expect(answer.body).toEqual(issuer.introspect(token))
  })

  it('answers inactive for garbage, for an unknown token and for a JWT from another signer', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const foreign = await new SignJWT({ scope: SCOPES.documentConsumer })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: issuer.kid })
      .setIssuer(issuer.issuer)
      .setExpirationTime('1h')
      .sign(privateKey)
    for (const token of ['garbage', 'a.b.c', foreign]) {
      expect((await introspect(token)).body).toEqual({ active: false })
    }
  })

  it('answers inactive for an expired token and a token not yet valid', async () => {
    const expired = await issuer.mint({ scopes: ['s'], expiresIn: -1 })
    const future = await issuer.mint({ scopes: ['s'], notBefore: Math.floor(Date.now() / 1000) + 600 })
    expect((await introspect(expired)).body).toEqual({ active: false })
    expect((await introspect(future)).body).toEqual({ active: false })
  })

  it('answers inactive once a token is revoked', async () => {
    const token = await issuer.mint({ scopes: ['s'] })
    expect((await introspect(token)).body.active).toBe(true)
    expect(issuer.revoke(token)).toBe(true)
    expect((await introspect(token)).body).toEqual({ active: false })
    expect(issuer.revoke('never-issued')).toBe(false)
  })

  it('still answers for tokens signed before a key rotation', async () => {
    const token = await issuer.mint({ scopes: ['s'] })
    await issuer.rotateKeys({ keepPrevious: false })
    expect((await introspect(token)).body.active).toBe(true)
  })

  it('requires a Bearer token carrying the introspect scope', async () => {
    const token = await issuer.mint({ scopes: ['s'] })
    const withoutScope = await issuer.mint({ scopes: [SCOPES.documentConsumer] })
    const expiredCaller = await issuer.mint({ scopes: [INTROSPECT_SCOPE], expiresIn: -1 })

    const missing = await introspect(token, null)
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    expect((await introspect(token, 'garbage')).status).toBe(401)
    expect((await introspect(token, expiredCaller)).status).toBe(401)
    const noScope = await introspect(token, withoutScope)
    expect(noScope.status).toBe(401)
    expect(noScope.body.error).toBe('insufficient_scope')

    const revokedCaller = await issuer.mint({ scopes: [INTROSPECT_SCOPE] })
    expect((await introspect(token, revokedCaller)).status).toBe(200)
    issuer.revoke(revokedCaller)
    expect((await introspect(token, revokedCaller)).status).toBe(401)
  })

  it('answers 400 invalid_request without a token parameter', async () => {
    const answer = await postForm(issuer.introspectionUrl, {}, { authorization: `Bearer ${dpToken}` })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_request')
  })

  describe('fault behaviours', () => {
    it('down: drops the connection without an answer', async () => {
      const token = await issuer.mint({ scopes: ['s'] })
      issuer.setIntrospectionBehaviour('down')
      await expect(introspect(token)).rejects.toThrow(TypeError)
      issuer.setIntrospectionBehaviour('normal')
      expect((await introspect(token)).body.active).toBe(true)
    })

    it('unavailable: answers 503 with Retry-After', async () => {
      issuer.setIntrospectionBehaviour('unavailable')
      const answer = await introspect('whatever')
      expect(answer.status).toBe(503)
      expect(answer.headers.get('retry-after')).toBe('1')
      expect(answer.body.error).toBe('temporarily_unavailable')
    })

    it('error: answers 500', async () => {
      issuer.setIntrospectionBehaviour('error')
      const answer = await introspect('whatever')
      expect(answer.status).toBe(500)
      expect(answer.body).toEqual({ error: 'server_error' })
    })

    it('slow: answers normally after the delay, and a client timeout fires first', async () => {
      const token = await issuer.mint({ scopes: ['s'] })
      issuer.setIntrospectionBehaviour('slow', 300)
      const started = performance.now()
      const answer = await introspect(token)
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      expect(answer.body.active).toBe(true)

      issuer.setIntrospectionBehaviour('slow', 5000)
      const timedOut = fetch(issuer.introspectionUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${dpToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
        signal: AbortSignal.timeout(100),
      })
      await expect(timedOut).rejects.toMatchObject({ name: 'TimeoutError' })
    })

    it('does not affect the other endpoints', async () => {
      issuer.setIntrospectionBehaviour('error')
      expect((await fetch(issuer.jwksUrl)).status).toBe(200)
    })

    it('rejects an unknown behaviour', () => {
      expect(() => issuer.setIntrospectionBehaviour('flaky' as never)).toThrow(
        /unknown introspection behaviour/,
      )
    })
  })

  it('close() does not wait for a slow introspection in flight', async () => {
    const other = await startTokenIssuer()
    other.setIntrospectionBehaviour('slow', 60_000)
    const pending = postForm(other.introspectionUrl, { token: 'x' }).catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = performance.now()
    await other.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toBeInstanceOf(Error)
  })
})
