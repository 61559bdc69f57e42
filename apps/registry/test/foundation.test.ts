import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
  // Routes that exist only to drive the error handler from the outside.
  registry.app.get('/test/boom', { config: { public: true } }, async () => {
    throw new Error('secret internal detail at /srv/app.ts:42')
  })
  registry.app.get(
    '/test/validated',
    {
      config: { public: true },
      schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } },
    },
    async () => ({ ok: true }),
  )
  await registry.app.ready()
})
afterAll(() => registry.close())

describe('health', () => {
  it('is live', async () => {
    const response = await registry.app.inject('/health/live')
    expect(response.statusCode).toBe(200)
  })

  it('is ready when the database answers and is migrated', async () => {
    const response = await registry.app.inject('/health/ready')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok' } })
  })
})

describe('certification version', () => {
  it('answers without a token', async () => {
    const response = await registry.app.inject('/certification/version')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      version: expect.any(String),
      apiVersion: '3.5',
      build: expect.any(String),
    })
  })
})

describe('StatusMessage on every error', () => {
  it('404 for an unknown route', async () => {
    const response = await registry.app.inject('/no/such/route')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({
      id: expect.stringMatching(UUID),
      code: 'NOT_FOUND',
      message: 'No route for GET /no/such/route.',
      environment: 'test',
    })
  })

  it('400 for a validation failure', async () => {
    const response = await registry.app.inject('/test/validated?n=abc')
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      code: 'INVALID_INPUT',
      environment: 'test',
      id: expect.stringMatching(UUID),
    })
    expect(response.json().message).toContain('querystring')
  })

  it('500 without internals', async () => {
    const response = await registry.app.inject('/test/boom')
    expect(response.statusCode).toBe(500)
    expect(response.json()).toMatchObject({
      code: 'INTERNAL_ERROR',
      message: 'An unexpected error occurred.',
    })
    expect(response.body).not.toContain('secret')
    expect(response.body).not.toContain('app.ts')
  })
})

describe('correlation id', () => {
  it('echoes a well-formed incoming id', async () => {
    const response = await registry.app.inject({
      url: '/health/live',
      headers: { 'x-correlation-id': 'abc-123' },
    })
    expect(response.headers['x-correlation-id']).toBe('abc-123')
  })

  it('replaces a malformed one with a fresh uuid', async () => {
    const response = await registry.app.inject({
      url: '/health/live',
      headers: { 'x-correlation-id': 'bad id\twith spaces' },
    })
    expect(response.headers['x-correlation-id']).toMatch(UUID)
  })

  it('is present on errors too', async () => {
    const response = await registry.app.inject({ url: '/nope', headers: { 'x-correlation-id': 'corr-404' } })
    expect(response.headers['x-correlation-id']).toBe('corr-404')
  })
})

describe('OpenAPI document', () => {
  it('is served and lists the certification route', async () => {
    const response = await registry.app.inject('/openapi.json')
    expect(response.statusCode).toBe(200)
    const document = response.json()
    expect(document.openapi).toBe('3.1.0')
    expect(document.paths['/certification/version']).toBeDefined()
  })
})

describe('readiness without a database', () => {
  it('is not ready when PostgreSQL does not answer', async () => {
    const down = await startTestRegistry({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })
    try {
      const response = await down.app.inject('/health/ready')
      expect(response.statusCode).toBe(503)
      expect(response.json()).toMatchObject({ status: 'unavailable', checks: { database: 'unreachable' } })
    } finally {
      await down.close()
    }
  })
})
