import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { createClientCredentials, INTROSPECT_SCOPE } from '@ebox/token-issuer'
import { type CryptoKey, exportJWK, exportPKCS8, generateKeyPair, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createJwtVerifier } from '../src/auth/jwt-verifier.ts'
import { createClientCredentialsSource } from '../src/federation/client-credentials.ts'
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.ts'
import { AUDIENCE, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * The two token verifiers in depth: introspection caching and fail-closed behaviour, JWKS refetch on an unknown
 * kid and key rotation, the DP's own client_credentials token. The attack suite (security-attacks.test.ts)
 * runs the hostile requests against the message routes in both modes.
 */
const consult = [SCOPES.documentConsumer]
const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A route that needs the consultation scopes and reports whom the token speaks for. */
async function addProbe(registry: TestRegistry) {
  registry.app.get('/test/probe', { config: { operation: 'listMessages' } }, async (request) => ({
    ebox: request.principal?.ebox,
    clientId: request.principal?.clientId,
    userSsin: request.principal?.userSsin ?? null,
  }))
  await registry.app.ready()
}

const probe = (registry: TestRegistry, token: string) =>
  registry.app.inject({ url: '/test/probe', headers: { authorization: `Bearer ${token}` } })

function expectStatus(
  response: { statusCode: number; json(): unknown; body: string },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status)
  expect(response.json()).toMatchObject({ code, environment: 'test' })
  expect(response.body).not.toContain('0406798006')
  expect(response.body).not.toMatch(/\bat .*\.ts:\d+/)
}

describe('introspection verifier (RFC 7662)', () => {
  let registry: TestRegistry
  let introspection: CountingProxy

  beforeAll(async () => {
    registry = await startTestRegistry(
      {
        INTROSPECTION_CACHE_SECONDS: '1',
        INTROSPECTION_TIMEOUT_MS: '500',
        OAUTH_CLOCK_TOLERANCE_SECONDS: '0',
      },
      {
        oauthMode: 'introspection',
        envFromIssuer: async (issuer) => {
          introspection = await startCountingProxy(issuer.introspectionUrl)
          return { OAUTH_INTROSPECTION_URL: introspection.url }
        },
      },
    )
    await addProbe(registry)
  })
  afterAll(async () => {
    await registry.close()
    await introspection.close()
  })
  afterEach(() => registry.issuer.setIntrospectionBehaviour('normal'))

  it('accepts an active token and reads the e-Box from principalAttributes (CBE padded)', async () => {
    const token = await registry.token({ scopes: consult, cbe: '406798006', clientId: 'dc-app' })
    const response = await probe(registry, token)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      ebox: { eboxType: 'enterprise', id: '0406798006' },
      clientId: 'dc-app',
      userSsin: null,
    })
  })

  it('caches a positive answer (no second call) for at most the configured bound', async () => {
    const token = await registry.token({ scopes: consult })
    introspection.reset()
    expect((await probe(registry, token)).statusCode).toBe(200)
    expect((await probe(registry, token)).statusCode).toBe(200)
    expect(introspection.count()).toBe(1)
    // Revoked at the server: the cached answer may serve until the bound (1 s here), never longer.
    registry.issuer.revoke(token)
    expect((await probe(registry, token)).statusCode).toBe(200)
    await sleep(1100)
    expectStatus(await probe(registry, token), 401, 'UNAUTHENTICATED')
    expect(introspection.count()).toBe(2)
  })

  it('never caches past the token expiry', async () => {
    const long = await startTestRegistry(
      { INTROSPECTION_CACHE_SECONDS: '60', OAUTH_CLOCK_TOLERANCE_SECONDS: '0' },
      { oauthMode: 'introspection' },
    )
    try {
      await addProbe(long)
      const token = await long.token({ scopes: consult, expiresIn: 2 })
      expect((await probe(long, token)).statusCode).toBe(200)
      await sleep(2100)
      expectStatus(await probe(long, token), 401, 'UNAUTHENTICATED')
    } finally {
      await long.close()
    }
  })

  it('never caches a negative answer', async () => {
    const token = await registry.token({ scopes: consult, notBefore: Math.floor(Date.now() / 1000) + 2 })
    introspection.reset()
    expectStatus(await probe(registry, token), 401, 'UNAUTHENTICATED')
    await sleep(2100)
    expect((await probe(registry, token)).statusCode).toBe(200)
    expect(introspection.count()).toBe(2)
  })

  it('401 when the server says inactive (revoked), with an invalid_token challenge', async () => {
    const token = await registry.token({ scopes: consult })
    registry.issuer.revoke(token)
    const response = await probe(registry, token)
    expectStatus(response, 401, 'UNAUTHENTICATED')
    expect(response.headers['www-authenticate']).toContain('invalid_token')
  })

  it.each(['down', 'unavailable', 'error'] as const)(
    '503 (fail closed) when introspection is %s',
    async (mode) => {
      const token = await registry.token({ scopes: consult })
      registry.issuer.setIntrospectionBehaviour(mode)
      const response = await probe(registry, token)
      expectStatus(response, 503, 'AUTHORIZATION_SERVER_UNAVAILABLE')
      expect(response.headers['www-authenticate']).toBeUndefined()
      // The failure is not remembered: the next call once the server is back succeeds.
      registry.issuer.setIntrospectionBehaviour('normal')
      expect((await probe(registry, token)).statusCode).toBe(200)
    },
  )

  it('503 within the timeout when introspection is slow', async () => {
    const token = await registry.token({ scopes: consult })
    registry.issuer.setIntrospectionBehaviour('slow', 3000)
    const started = Date.now()
    expectStatus(await probe(registry, token), 503, 'AUTHORIZATION_SERVER_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(1500)
  })

  it('checks iss and aud of the answer when they are configured', async () => {
    const wrongAudience = await registry.token({ scopes: consult, audience: 'another-service' })
    expectStatus(await probe(registry, wrongAudience), 401, 'UNAUTHENTICATED')
    const wrongIssuer = await registry.token({ scopes: consult, issuer: 'https://evil.example' })
    expectStatus(await probe(registry, wrongIssuer), 401, 'UNAUTHENTICATED')
  })

  it('recognises a human user by an SSIN in sub', async () => {
    const token = await registry.token({ scopes: consult, sub: '85073003328' })
    expect((await probe(registry, token)).json()).toMatchObject({ userSsin: '85073003328' })
  })
})

describe('the DP’s own token (client_credentials + private_key_jwt)', () => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startTestRegistry({}, { oauthMode: 'introspection' })
  })
  afterAll(() => registry.close())

  it('is obtained with a client assertion, kept until shortly before expiry, renewed after invalidate', async () => {
    const client = await createClientCredentials('dp-own-token')
    await registry.issuer.registerClient('dp-own-token', client.publicJwk, { scopes: [INTROSPECT_SCOPE] })
    const source = createClientCredentialsSource({
      tokenUrl: registry.issuer.tokenUrl,
      clientId: 'dp-own-token',
      privateKeyPem: await exportPKCS8(client.privateKey),
      scope: INTROSPECT_SCOPE,
    })
    const [first, concurrent] = await Promise.all([source.token(), source.token()])
    expect(concurrent).toBe(first)
    expect(registry.issuer.introspect(first)).toMatchObject({ active: true, scope: INTROSPECT_SCOPE })
    expect(await source.token()).toBe(first)
    source.invalidate()
    expect(await source.token()).not.toBe(first)
  })

  it('fails (→ 503 upstream) when the token endpoint refuses the client', async () => {
    const stranger = await createClientCredentials('unregistered')
    const source = createClientCredentialsSource({
      tokenUrl: registry.issuer.tokenUrl,
      clientId: 'unregistered',
      privateKeyPem: await exportPKCS8(stranger.privateKey),
    })
    await expect(source.token()).rejects.toThrow(/401/)
  })
})

describe('JWT verifier (RFC 9068)', () => {
  let registry: TestRegistry
  let jwks: CountingProxy

  beforeAll(async () => {
    registry = await startTestRegistry(
      { OAUTH_JWKS_COOLDOWN_SECONDS: '1' },
      {
        oauthMode: 'jwt',
        envFromIssuer: async (issuer) => {
          jwks = await startCountingProxy(issuer.jwksUrl)
          return { OAUTH_JWKS_URL: jwks.url }
        },
      },
    )
    await addProbe(registry)
  })
  afterAll(async () => {
    await registry.close()
    await jwks.close()
  })

  it('follows a key rotation without a restart', async () => {
    expect((await probe(registry, await registry.token({ scopes: consult }))).statusCode).toBe(200)
    await sleep(1100) // past the refetch cooldown
    await registry.issuer.rotateKeys()
    jwks.reset()
    const rotated = await registry.token({ scopes: consult })
    expect((await probe(registry, rotated)).statusCode).toBe(200)
    expect(jwks.count()).toBe(1)
  })

  it('an unknown kid refetches the JWKS at most once per cooldown, then 401', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const forge = (kid: string) =>
      new SignJWT({ scope: consult.join(' '), principalAttributes: { [CBE_ATTRIBUTE]: ['0406798006'] } })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
        .setIssuer(registry.issuer.issuer)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(privateKey)
    await sleep(1100)
    jwks.reset()
    expectStatus(await probe(registry, await forge('unknown-1')), 401, 'UNAUTHENTICATED')
    expect(jwks.count()).toBe(1)
    expectStatus(await probe(registry, await forge('unknown-2')), 401, 'UNAUTHENTICATED')
    expectStatus(await probe(registry, await forge('unknown-3')), 401, 'UNAUTHENTICATED')
    expect(jwks.count()).toBe(1)
  })

  it('503 (not 401) when the JWKS cannot be fetched', async () => {
    const unreachable = await startTestRegistry(
      { OAUTH_JWKS_URL: 'http://127.0.0.1:9/jwks' },
      { oauthMode: 'jwt' },
    )
    try {
      await addProbe(unreachable)
      expectStatus(
        await probe(unreachable, await unreachable.token({ scopes: consult })),
        503,
        'AUTHORIZATION_SERVER_UNAVAILABLE',
      )
    } finally {
      await unreachable.close()
    }
  })
})

describe('JWT verifier options', () => {
  let server: Server
  let jwksUrl: string
  let privateKey: CryptoKey
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true })
    privateKey = pair.privateKey
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }
    server = createServer((_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [jwk] })))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  const sign = (typ: string, alg = 'ES256') =>
    new SignJWT({ scope: 'x', principalAttributes: { [CBE_ATTRIBUTE]: ['0406798006'] } })
      .setProtectedHeader({ alg, kid: 'k1', typ })
      .setIssuer('https://iss.example')
      .setAudience('aud')
      .setExpirationTime('5m')
      .sign(privateKey)

  const verifier = (requireAccessTokenType: boolean, algorithms = ['ES256']) =>
    createJwtVerifier({
      jwksUrl,
      issuer: 'https://iss.example',
      audience: 'aud',
      algorithms,
      clockToleranceSeconds: 5,
      requireAccessTokenType,
    })

  it('demands typ at+jwt when configured, and accepts other types when not', async () => {
    await expect(verifier(true).verify(await sign('JWT'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' })
    await expect(verifier(true).verify(await sign('at+jwt'))).resolves.toMatchObject({
      ebox: { id: '0406798006' },
    })
    await expect(verifier(false).verify(await sign('JWT'))).resolves.toBeDefined()
  })

  it('refuses an algorithm outside the allow-list even with the right key', async () => {
    await expect(verifier(true, ['RS256']).verify(await sign('at+jwt'))).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    })
  })
})
