import { createHash } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterEach, describe, expect, it } from 'vitest'
import { type App, buildApp } from '../src/app.ts'
import { createVerifier } from '../src/auth/create-verifier.ts'
import { createPool } from '../src/db/pool.ts'
import { OAUTH_MODES, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Attack suite, issues 16 and 23 (finding 2): rate limits keyed by who is served (client id + e-Box + user), a
 * larger ceiling per client id, counters shared by every replica through PostgreSQL, and a limiter that fails
 * open to local counters when its table does not answer.
 */
const LIST = '/ebox/messages'
const consult = [SCOPES.documentConsumer]

interface Answer {
  statusCode: number
  headers: Record<string, unknown>
  json(): unknown
}

function expectTooMany(response: Answer) {
  expect(response.statusCode).toBe(429)
  expect(response.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS', environment: 'test' })
  expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
}

describe.each(OAUTH_MODES)('rate limits — %s verifier', (mode) => {
  const opened: TestRegistry[] = []
  const start = async (env: Record<string, string>) => {
    // A long window: the test never straddles two windows.
    const registry = await startTestRegistry(
      { RATE_LIMIT_WINDOW_SECONDS: '3600', RATE_LIMIT_PER_IP: '1000000', ...env },
      { oauthMode: mode },
    )
    opened.push(registry)
    return registry
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((registry) => registry.close()))
  })
  const call = (app: App, token: string) =>
    app.inject({ url: LIST, headers: { authorization: `Bearer ${token}` } })

  it('two e-Boxes behind one client id do not lock each other out', { timeout: 90_000 }, async () => {
    const registry = await start({ RATE_LIMIT_PER_CALLER: '3', RATE_LIMIT_PER_CLIENT: '1000' })
    const first = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'vendor' })
    const second = await registry.token({ scopes: consult, cbe: DEMO.secondEnterprise, clientId: 'vendor' })
    for (let i = 0; i < 3; i += 1) expect((await call(registry.app, first)).statusCode).toBe(200)
    expectTooMany(await call(registry.app, first))
    expect((await call(registry.app, second)).statusCode).toBe(200)
    // Two portal users of one e-Box behind one client: each has a budget of their own.
    const alice = await registry.token({
      scopes: consult,
      cbe: DEMO.enterprise,
      clientId: 'portal',
      sub: '85073003328',
    })
    const bob = await registry.token({
      scopes: consult,
      cbe: DEMO.enterprise,
      clientId: 'portal',
      sub: '90022512345',
    })
    for (let i = 0; i < 3; i += 1) expect((await call(registry.app, alice)).statusCode).toBe(200)
    expectTooMany(await call(registry.app, alice))
    expect((await call(registry.app, bob)).statusCode).not.toBe(429)
  })

  it('a client id has a ceiling over all its e-Boxes', { timeout: 90_000 }, async () => {
    const registry = await start({ RATE_LIMIT_PER_CALLER: '1000', RATE_LIMIT_PER_CLIENT: '4' })
    const first = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'vendor' })
    const second = await registry.token({ scopes: consult, cbe: DEMO.secondEnterprise, clientId: 'vendor' })
    for (let i = 0; i < 2; i += 1) {
      expect((await call(registry.app, first)).statusCode).toBe(200)
      expect((await call(registry.app, second)).statusCode).toBe(200)
    }
    expectTooMany(await call(registry.app, second))
    const other = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'other' })
    expect((await call(registry.app, other)).statusCode).toBe(200)
  })

  it('one limit holds across two registry instances on one database', { timeout: 90_000 }, async () => {
    const registry = await start({ RATE_LIMIT_PER_CALLER: '4', RATE_LIMIT_PER_CLIENT: '1000' })
    const pool = createPool({
      connectionString: registry.config.databaseUrl,
      max: 2,
      statementTimeoutMs: 10_000,
    })
    const replica = await buildApp({
      config: registry.config,
      pool,
      verifier: createVerifier(registry.config.oauth),
      logger: false,
    })
    try {
      const token = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'spread' })
      for (let i = 0; i < 2; i += 1) {
        expect((await call(registry.app, token)).statusCode).toBe(200)
        expect((await call(replica, token)).statusCode).toBe(200)
      }
      // Four requests counted across both: the fifth is refused by either instance.
      expectTooMany(await call(replica, token))
      expectTooMany(await call(registry.app, token))
    } finally {
      await replica.close()
      await pool.end()
    }
  })

  it('counts each of many concurrent requests once (hits sent together)', { timeout: 90_000 }, async () => {
    const registry = await start({ RATE_LIMIT_PER_CALLER: '10', RATE_LIMIT_PER_CLIENT: '1000' })
    const token = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'crowd' })
    const answers = await Promise.all(Array.from({ length: 30 }, () => call(registry.app, token)))
    const allowed = answers.filter((answer) => answer.statusCode === 200)
    expect(allowed).toHaveLength(10)
    for (const answer of answers.filter((one) => one.statusCode !== 200)) expectTooMany(answer)
    // Each allowed request saw a count of its own: 9 … 0 remaining, every value once.
    const remaining = allowed.map((answer) => Number(answer.headers['x-ratelimit-remaining']))
    expect(remaining.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const { rows } = await registry.pool.query<{ hits: number }>(
      'SELECT hits FROM rate_limit_counters ORDER BY hits DESC LIMIT 1',
    )
    expect(rows[0]?.hits).toBe(30)
    // Keys are stored as their SHA-256 only (the process keeps each key's digest: computed once, not per hit).
    const keys = await registry.pool.query<{ key: string }>('SELECT key FROM rate_limit_counters')
    const stored = keys.rows.map((row) => row.key)
    expect(stored).toContain(createHash('sha256').update('client:crowd').digest('base64url'))
    expect(stored.join(' ')).not.toContain('crowd')
  })

  it('fails open to local counters when the shared counters fail: no 500', { timeout: 90_000 }, async () => {
    const registry = await start({ RATE_LIMIT_PER_CALLER: '3', RATE_LIMIT_PER_CLIENT: '1000' })
    await registry.pool.query('ALTER TABLE rate_limit_counters RENAME TO rate_limit_counters_gone')
    const token = await registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'unlucky' })
    for (let i = 0; i < 3; i += 1) expect((await call(registry.app, token)).statusCode).toBe(200)
    // Still limited, by this process's counters.
    expectTooMany(await call(registry.app, token))
  })
})
