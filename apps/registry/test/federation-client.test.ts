import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { createClientCredentials, type TokenIssuer } from '@ebox/token-issuer'
import { exportPKCS8 } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFederationClient,
  FEDERATION_RETRY_AFTER_SECONDS,
  type FederationClient,
  FederationUnavailableError,
  retryAfterMs,
} from '../src/federation/client.ts'
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.ts'
import { type EesStub, startEesStub } from './support/ees-stub.ts'
import { EES_SCOPE } from './support/federation-fixtures.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * The one client the DP calls the federation with, seen from the outside: the local token issuer hands out
 * the DP's tokens, the EES stub checks them by introspection, a bare server redirects.
 */
async function clientAt(issuer: TokenIssuer): Promise<FederationClient> {
  const clientId = `dp-federation-${Math.random().toString(36).slice(2, 10)}`
  const credentials = await createClientCredentials(clientId)
  await issuer.registerClient(clientId, credentials.publicJwk, { scopes: [EES_SCOPE] })
  return createFederationClient({
    tokenUrl: issuer.tokenUrl,
    clientId,
    privateKeyPem: await exportPKCS8(credentials.privateKey),
  })
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function failureOf(call: Promise<unknown>): Promise<FederationUnavailableError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(FederationUnavailableError)
  return error as FederationUnavailableError
}

describe('federation client', () => {
  let registry: TestRegistry
  let ees: EesStub
  let federation: FederationClient
  const post = (timeoutMs = 2_000, url = ees.url) =>
    federation.call({
      target: 'EES',
      url,
      method: 'POST',
      json: [],
      scope: EES_SCOPE,
      timeoutMs,
      accept: (status) => status === 201,
    })

  beforeAll(async () => {
    registry = await startTestRegistry()
    ees = await startEesStub({ tokenIsValid: (token) => registry.issuer.introspect(token).active })
    federation = await clientAt(registry.issuer)
  })
  afterAll(async () => {
    await ees.close()
    await registry.close()
  })

  it('a refused token is dropped and the call retried exactly once with a fresh one', async () => {
    expect((await post()).status).toBe(201)
    const first = ees.authorizations.at(-1)!
    expect(registry.issuer.revoke(first.slice('Bearer '.length))).toBe(true)
    const before = ees.requests
    expect((await post()).status).toBe(201)
    expect(ees.requests - before).toBe(2)
    expect(ees.authorizations.slice(-2)).toEqual([first, expect.not.stringContaining(first)])
  })

  it('a target that refuses every token gets one retry, then the call fails with its 401', async () => {
    const refusing = await startEesStub({ tokenIsValid: () => false })
    try {
      const error = await failureOf(post(2_000, refusing.url))
      expect(refusing.requests).toBe(2)
      expect(refusing.authorizations[0]).not.toBe(refusing.authorizations[1])
      expect(error).toMatchObject({ target: 'EES', targetStatus: 401, status: 503 })
    } finally {
      await refusing.close()
    }
  })

  it('never follows a redirect (the token would go with it)', async () => {
    const hits = ees.requests
    const redirecting = createServer((_request, response) =>
      response.writeHead(307, { location: ees.url }).end(),
    )
    const url = await listen(redirecting)
    try {
      const error = await failureOf(post(2_000, url))
      expect(error.reason).toMatch(/^EES: unreachable: .*redirect/)
      expect(ees.requests).toBe(hits)
    } finally {
      redirecting.close()
    }
  })

  it('a target that does not answer in time is a typed error naming it, with a Retry-After', async () => {
    ees.behaviour = 'hang'
    try {
      const error = await failureOf(post(300))
      expect(error.reason).toBe('EES: no answer within 300 ms')
      expect(error.code).toBe('SERVICE_UNAVAILABLE')
      expect(error.headers).toEqual({ 'retry-after': String(FEDERATION_RETRY_AFTER_SECONDS) })
      expect(error.cause).toBeInstanceOf(Error)
    } finally {
      ees.behaviour = 'ok'
    }
  })
})

describe('a slow federation seen by API callers: 503 with Retry-After, never 500', () => {
  const LIST = '/ebox/messages'
  const consult = [SCOPES.documentConsumer]
  /** The list with `token`: a retryable 503 carrying `code`. */
  async function expectRetryable503(registry: TestRegistry, token: string, code: string) {
    const response = await registry.app.inject({ url: LIST, headers: { authorization: `Bearer ${token}` } })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe(String(FEDERATION_RETRY_AFTER_SECONDS))
    expect(response.json()).toMatchObject({ code })
  }

  it('the Partition service past PARTITION_SERVICE_TIMEOUT_MS', async () => {
    const registry = await startTestRegistry({ PARTITION_SERVICE_TIMEOUT_MS: '300' })
    try {
      registry.partitions.setBehaviour('slow', 3_000)
      // A human user: the list needs the user's partition rights.
      const token = await registry.token({ scopes: consult, sub: '71060832102' })
      await expectRetryable503(registry, token, 'SERVICE_UNAVAILABLE')
    } finally {
      await registry.close()
    }
  })

  it('introspection past INTROSPECTION_TIMEOUT_MS', async () => {
    let proxy: CountingProxy | undefined
    const registry = await startTestRegistry(
      { INTROSPECTION_TIMEOUT_MS: '300' },
      {
        oauthMode: 'introspection',
        envFromIssuer: async (issuer) => {
          proxy = await startCountingProxy(issuer.introspectionUrl)
          return { OAUTH_INTROSPECTION_URL: proxy.url }
        },
      },
    )
    try {
      proxy!.setBehaviour('slow', 3_000)
      await expectRetryable503(
        registry,
        await registry.token({ scopes: consult }),
        'AUTHORIZATION_SERVER_UNAVAILABLE',
      )
    } finally {
      await registry.close()
      await proxy?.close()
    }
  })
})

describe('a Retry-After header', () => {
  it('is read as seconds or as an HTTP date, and ignored when it is neither', () => {
    const now = Date.parse('2026-12-02T10:00:00Z')
    expect(retryAfterMs('30', now)).toBe(30_000)
    expect(retryAfterMs('Wed, 02 Dec 2026 10:02:00 GMT', now)).toBe(120_000)
    expect(retryAfterMs('Wed, 02 Dec 2026 09:00:00 GMT', now)).toBe(0)
    expect(retryAfterMs('soon', now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })
})
