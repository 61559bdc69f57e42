import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** Security headers, CORS, rate limits, size limits, server timeouts, no internals in errors. */
const PORTAL = 'https://wwwacc.eboxenterprise.be'
const consult = [SCOPES.documentConsumer]

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry({
    CORS_ORIGINS: PORTAL,
    RATE_LIMIT_PER_IP: '30',
    RATE_LIMIT_PER_CLIENT: '5',
    RATE_LIMIT_WINDOW_SECONDS: '60',
  })
  registry.app.get('/test/protected', { config: { operation: 'listMessages' } }, async () => ({ ok: true }))
  registry.app.get('/test/explode', { config: { operation: 'listMessages' } }, async () => {
    throw new Error('relation "secret_table" does not exist at /srv/app/src/repositories/x.ts:12')
  })
  await registry.app.ready()
})
afterAll(() => registry.close())

describe('security headers', () => {
  it('are set on every answer, errors included', async () => {
    for (const url of ['/certification/version', '/no/such/route']) {
      const response = await registry.app.inject({ url })
      expect(response.headers['content-security-policy']).toContain("default-src 'none'")
      expect(response.headers['x-content-type-options']).toBe('nosniff')
      expect(response.headers['strict-transport-security']).toContain('max-age=31536000')
      expect(response.headers['x-frame-options']).toBe('DENY')
      expect(response.headers['referrer-policy']).toBe('no-referrer')
      expect(response.headers['x-powered-by']).toBeUndefined()
    }
  })
})

describe('CORS', () => {
  it('allows the configured portal origin, with the Authorization header, and exposes the correlation id', async () => {
    const preflight = await registry.app.inject({
      method: 'OPTIONS',
      url: '/ebox/messages',
      headers: {
        origin: PORTAL,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe(PORTAL)
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/Authorization/i)
    const simple = await registry.app.inject({ url: '/certification/version', headers: { origin: PORTAL } })
    expect(simple.headers['access-control-allow-origin']).toBe(PORTAL)
    expect(String(simple.headers['access-control-expose-headers'])).toMatch(/X-Correlation-Id/i)
  })

  it('gives no CORS grant to any other origin', async () => {
    for (const origin of ['https://evil.example', 'https://wwwacc.eboxenterprise.be.evil.example', 'null']) {
      const preflight = await registry.app.inject({
        method: 'OPTIONS',
        url: '/ebox/messages',
        headers: { origin, 'access-control-request-method': 'GET' },
      })
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
      const simple = await registry.app.inject({ url: '/certification/version', headers: { origin } })
      expect(simple.headers['access-control-allow-origin']).toBeUndefined()
    }
  })
})

describe('limits', () => {
  it('429 per client once its limit is spent, with Retry-After; other clients unaffected', async () => {
    const token = await registry.token({ scopes: consult, clientId: 'greedy-client' })
    const call = (t: string) =>
      registry.app.inject({ url: '/test/protected', headers: { authorization: `Bearer ${t}` } })
    for (let i = 0; i < 5; i += 1) expect((await call(token)).statusCode).toBe(200)
    const limited = await call(token)
    expect(limited.statusCode).toBe(429)
    expect(limited.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS', environment: 'test' })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    // Another token of the same client shares the limit; another client does not.
    expect(
      (await call(await registry.token({ scopes: consult, clientId: 'greedy-client' }))).statusCode,
    ).toBe(429)
    expect(
      (await call(await registry.token({ scopes: consult, clientId: 'modest-client' }))).statusCode,
    ).toBe(200)
  })

  it('429 per IP before authentication, so floods of bad tokens stop early', async () => {
    const flood = (i: number) =>
      registry.app.inject({
        url: '/test/protected',
        remoteAddress: '198.51.100.7',
        headers: { authorization: `Bearer garbage-${i}` },
      })
    const statuses: number[] = []
    for (let i = 0; i < 32; i += 1) statuses.push((await flood(i)).statusCode)
    expect(statuses.slice(0, 30).every((status) => status === 401)).toBe(true)
    expect(statuses.slice(30)).toEqual([429, 429])
    // Another address is not affected; health probes are never limited.
    const other = await registry.app.inject({ url: '/test/protected', remoteAddress: '198.51.100.8' })
    expect(other.statusCode).toBe(401)
    const live = await registry.app.inject({ url: '/health/live', remoteAddress: '198.51.100.7' })
    expect(live.statusCode).toBe(200)
  })

  it('413 for a body over the limit', async () => {
    const token = await registry.token({ scopes: [SCOPES.eventNotifications] })
    const response = await registry.app.inject({
      method: 'POST',
      url: '/eventNotifications',
      remoteAddress: '203.0.113.1',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })

  it('431 for oversized headers (on a real socket)', async () => {
    await registry.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = registry.app.server.address() as AddressInfo
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/certification/version', headers: { 'x-big': 'y'.repeat(20_000) } },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(431)
  })

  it('server timeouts are bounded', () => {
    const server = registry.app.server
    expect(server.requestTimeout).toBe(registry.config.http.requestTimeoutMs)
    expect(server.requestTimeout).toBeGreaterThan(0)
    expect(server.requestTimeout).toBeLessThanOrEqual(3_600_000)
    expect(server.headersTimeout).toBeGreaterThan(0)
    expect(server.keepAliveTimeout).toBeGreaterThan(0)
    expect(registry.app.initialConfig.connectionTimeout).toBeGreaterThan(0)
  })
})

describe('errors reveal no internals', () => {
  it('an unexpected failure is a bare 500 StatusMessage', async () => {
    const token = await registry.token({ scopes: consult, clientId: 'explorer' })
    const response = await registry.app.inject({
      url: '/test/explode',
      remoteAddress: '203.0.113.2',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(response.statusCode).toBe(500)
    expect(Object.keys(response.json()).sort()).toEqual(['code', 'environment', 'id', 'message'])
    expect(response.body).not.toMatch(/secret_table|\.ts:|\/srv\/|stack/)
  })
})

describe('without CORS origins (the preflight route answers OPTIONS itself)', () => {
  let plain: TestRegistry
  beforeAll(async () => {
    plain = await startTestRegistry()
  })
  afterAll(() => plain.close())

  it('an OPTIONS request refused before its handler gets the contract error body (on a real socket)', async () => {
    await plain.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = plain.app.server.address() as AddressInfo
    const token = await plain.token({ scopes: consult, clientId: 'preflighter' })
    const optionsRequest = (path: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path, method: 'OPTIONS', headers: { authorization: `Bearer ${token}` } },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (chunk) => {
              text += chunk
            })
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    // As the fuzzer sent them: NUL bytes in the query; a body without a Content-Type.
    const refused = [
      await optionsRequest(`/ebox/messages?page=1.5&=${'%00'.repeat(40)}`),
      await optionsRequest('/ebox/messages/de3a0000-0000-4000-8000-000000000001/attachments/..', '\uFFFD'),
    ]
    for (const response of refused) {
      expect(response.status, response.body).toBeGreaterThanOrEqual(400)
      expect(Object.keys(JSON.parse(response.body)).sort(), response.body).toEqual([
        'code',
        'environment',
        'id',
        'message',
      ])
    }
  })
})
