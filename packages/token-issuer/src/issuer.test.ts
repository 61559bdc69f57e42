import { SCOPES } from '@ebox/contract'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CBE_ATTRIBUTE, DEFAULT_AUDIENCE, INTROSPECT_SCOPE, SSIN_ATTRIBUTE } from './constants.ts'
import { TokenIssuerError } from './errors.ts'
import { startTokenIssuer, type TokenIssuer } from './issuer.ts'
import { getJson } from './test-support.ts'

describe('token issuer: keys, metadata and minted tokens', () => {
  let issuer: TokenIssuer

  beforeAll(async () => {
    issuer = await startTokenIssuer()
  })
  afterAll(async () => {
    await issuer.close()
  })

  it('listens on loopback and derives its URLs', () => {
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(issuer.issuer).toBe(issuer.url)
    expect(issuer.audience).toBe(DEFAULT_AUDIENCE)
    expect(issuer.tokenUrl).toBe(`${issuer.url}/token`)
    expect(issuer.introspectionUrl).toBe(`${issuer.url}/introspect`)
    expect(issuer.jwksUrl).toBe(`${issuer.url}/.well-known/jwks.json`)
  })

  it('serves the JWKS at both paths with the current kid', async () => {
    const jwks = await getJson(issuer.jwksUrl)
    expect(jwks).toEqual({
      keys: [expect.objectContaining({ kty: 'RSA', kid: issuer.kid, alg: 'RS256', use: 'sig' })],
    })
    expect(JSON.stringify(jwks)).not.toContain('"d"')
    expect(await getJson(`${issuer.url}/jwks`)).toEqual(jwks)
  })

  it('serves the same authorisation server metadata at both well-known paths', async () => {
    const metadata = await getJson(`${issuer.url}/.well-known/oauth-authorization-server`)
    expect(metadata).toMatchObject({
      issuer: issuer.issuer,
      token_endpoint: issuer.tokenUrl,
      jwks_uri: issuer.jwksUrl,
      introspection_endpoint: issuer.introspectionUrl,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    })
    expect(await getJson(`${issuer.url}/.well-known/openid-configuration`)).toEqual(metadata)
  })

  it('mints RFC 9068 access tokens that verify against the served JWKS', async () => {
    const token = await issuer.mint({
      scopes: [SCOPES.documentConsumer, SCOPES.referenceData],
      cbe: '0123456789',
    })
    const jwks = createRemoteJWKSet(new URL(issuer.jwksUrl))
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      typ: 'at+jwt',
      issuer: issuer.issuer,
      audience: DEFAULT_AUDIENCE,
      algorithms: ['RS256'],
    })
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: issuer.kid })
    expect(payload).toEqual({
      iss: issuer.issuer,
      aud: DEFAULT_AUDIENCE,
      sub: 'ebox-dev-client',
      client_id: 'ebox-dev-client',
      scope: `${SCOPES.documentConsumer} ${SCOPES.referenceData}`,
      principalAttributes: { [CBE_ATTRIBUTE]: ['0123456789'] },
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: payload.iat! + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
  })

  it('honours every mint option, and extra claims override', async () => {
    const notBefore = Math.floor(Date.now() / 1000) - 5
    const token = await issuer.mint({
      scopes: 'a b',
      ssin: '79072300048',
      cbe: '123456789',
      clientId: 'portal',
      expiresIn: 120,
      notBefore,
      issuer: 'oauth-acpt.socialsecurity.be',
      audience: ['x', 'y'],
      extra: { acr: 'eid', client_id: 'overridden' },
    })
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUrl)))
    expect(payload).toMatchObject({
      iss: 'oauth-acpt.socialsecurity.be',
      aud: ['x', 'y'],
      sub: '79072300048',
      client_id: 'overridden',
      acr: 'eid',
      scope: 'a b',
      nbf: notBefore,
      principalAttributes: { [CBE_ATTRIBUTE]: ['123456789'], [SSIN_ATTRIBUTE]: ['79072300048'] },
    })
    expect(payload.exp! - payload.iat!).toBe(120)
  })

  it("puts the SSIN under the configured claim (the federation profile's FEDERATION_CITIZEN_SSIN_CLAIM)", async () => {
    const custom = await startTokenIssuer({ ssinClaim: 'urn:golive:ssin' })
    try {
      const token = await custom.mint({ scopes: [], ssin: '79072300048' })
      expect(decodeJwt(token).principalAttributes).toEqual({ 'urn:golive:ssin': ['79072300048'] })
    } finally {
      await custom.close()
    }
  })

  it('uses the issuer, audience and TTL it was started with', async () => {
    const custom = await startTokenIssuer({
      issuer: 'https://oauth.test',
      audience: 'registry',
      tokenTtlSeconds: 60,
    })
    try {
      const token = await custom.mint({ scopes: [] })
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(custom.jwksUrl)), {
        issuer: 'https://oauth.test',
        audience: 'registry',
      })
      expect(payload.exp! - payload.iat!).toBe(60)
      expect(payload.principalAttributes).toEqual({})
      expect((await getJson(custom.metadataUrl)).issuer).toBe('https://oauth.test')
    } finally {
      await custom.close()
    }
  })

  it('uses the contract introspect scope name', () => {
    expect(INTROSPECT_SCOPE).toBe(SCOPES.introspect)
  })
})

describe('key rotation', () => {
  it('changes the kid; new tokens verify after a JWKS refetch; the previous key stays by default', async () => {
    const issuer = await startTokenIssuer()
    try {
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUrl), { cooldownDuration: 0 })
      const oldToken = await issuer.mint({ scopes: ['s'] })
      await jwtVerify(oldToken, jwks) // caches the JWKS with the old key only
      const oldKid = issuer.kid

      const newKid = await issuer.rotateKeys()
      expect(newKid).not.toBe(oldKid)
      expect(issuer.kid).toBe(newKid)
      const newToken = await issuer.mint({ scopes: ['s'] })
      expect(decodeProtectedHeader(newToken).kid).toBe(newKid)
      await expect(jwtVerify(newToken, jwks)).resolves.toBeDefined() // unknown kid → refetch
      await expect(jwtVerify(oldToken, jwks)).resolves.toBeDefined()
      const kids = ((await getJson(issuer.jwksUrl)).keys as { kid: string }[]).map((key) => key.kid)
      expect(kids).toEqual([newKid, oldKid])
    } finally {
      await issuer.close()
    }
  })

  it('drops the previous key with keepPrevious: false', async () => {
    const issuer = await startTokenIssuer()
    try {
      const oldToken = await issuer.mint({ scopes: ['s'] })
      await issuer.rotateKeys({ keepPrevious: false })
      const jwks = createRemoteJWKSet(new URL(issuer.jwksUrl))
      await expect(jwtVerify(oldToken, jwks)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
      await expect(jwtVerify(await issuer.mint({ scopes: ['s'] }), jwks)).resolves.toBeDefined()
      expect((await getJson(issuer.jwksUrl)).keys).toHaveLength(1)
    } finally {
      await issuer.close()
    }
  })
})

describe('refusals', () => {
  it('refuses to start with NODE_ENV=production', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    try {
      const attempt = startTokenIssuer()
      await expect(attempt).rejects.toBeInstanceOf(TokenIssuerError)
      await expect(attempt).rejects.toMatchObject({
        code: 'PRODUCTION_REFUSED',
        message: expect.stringContaining('NODE_ENV=production'),
      })
    } finally {
      vi.unstubAllEnvs()
    }
  })

  it('refuses a non-loopback host unless allowed', async () => {
    await expect(startTokenIssuer({ host: '0.0.0.0' })).rejects.toMatchObject({ code: 'NON_LOOPBACK_HOST' })
  })

  it('refuses to register a private or symmetric key', async () => {
    const issuer = await startTokenIssuer()
    try {
      const { generateKeyPair, exportJWK } = await import('jose')
      const { privateKey } = await generateKeyPair('RS256', { extractable: true })
      await expect(issuer.registerClient('c', privateKey)).rejects.toMatchObject({ code: 'INVALID_KEY' })
      await expect(issuer.registerClient('c', await exportJWK(privateKey))).rejects.toMatchObject({
        code: 'INVALID_KEY',
      })
      await expect(issuer.registerClient('c', { kty: 'oct', k: 'AAAA' })).rejects.toMatchObject({
        code: 'INVALID_KEY',
      })
    } finally {
      await issuer.close()
    }
  })
})
