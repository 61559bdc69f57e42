import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.ts'
import { loadWorkerConfig } from '../src/worker/config.ts'

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const KEY = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const BASE = {
  DATABASE_URL: 'postgres://u@db:5432/ebox',
  OAUTH_CLIENT_ID: 'ebox-dp',
  OAUTH_CLIENT_KEY: KEY,
}

function problems(env: Record<string, string>): string[] {
  try {
    loadWorkerConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('worker configuration', () => {
  it('needs neither OAUTH_AUDIENCE nor a JWKS, and takes the EES and token URLs of its environment', () => {
    const acc = loadWorkerConfig({ ...BASE, EBOX_ENVIRONMENT: 'acceptation' })
    expect(acc.ees.url).toBe(
      'https://public.int.fedservices.be/EventServices/Ebox/v2/enterprise/document/events',
    )
    expect(acc.oauth.tokenUrl).toMatch(/^https:\/\/services-acpt\.socialsecurity\.be\//)
    const prd = loadWorkerConfig({ ...BASE, EBOX_ENVIRONMENT: 'production' })
    expect(prd.ees.url).toBe('https://public.fedservices.be/EventServices/Ebox/v2/enterprise/document/events')
    expect(prd.oauth.client.id).toBe('ebox-dp')
    expect(prd).toMatchObject({
      metrics: { port: 9464 },
      concurrency: 4,
      delivery: {
        batchSize: 50,
        leaseMs: 60_000,
        maxAttempts: 100,
        backoffBaseMs: 1_000,
        backoffMaxMs: 900_000,
      },
      ees: { timeoutMs: 10_000, scope: undefined },
    })
  })

  it('takes every tunable from the environment', () => {
    const config = loadWorkerConfig({
      ...BASE,
      EES_URL: 'http://127.0.0.1:9999/events',
      OAUTH_TOKEN_URL: 'http://127.0.0.1:9400/token',
      EES_TIMEOUT_MS: '2000',
      EES_SCOPE: 'scope:ees',
      OUTBOX_BATCH_SIZE: '20',
      OUTBOX_LEASE_MS: '5000',
      OUTBOX_MAX_ATTEMPTS: '7',
      OUTBOX_BACKOFF_BASE_MS: '200',
      OUTBOX_BACKOFF_MAX_MS: '10000',
      WORKER_CONCURRENCY: '2',
      WORKER_POLL_INTERVAL_MS: '250',
      WORKER_SCHEDULER_INTERVAL_MS: '30000',
      OUTBOX_RETENTION_DAYS: '30',
      METRICS_PORT: '9100',
    })
    expect(config).toMatchObject({
      ees: { url: 'http://127.0.0.1:9999/events', timeoutMs: 2_000, scope: 'scope:ees' },
      delivery: { batchSize: 20, leaseMs: 5_000, maxAttempts: 7, backoffBaseMs: 200, backoffMaxMs: 10_000 },
      concurrency: 2,
      pollIntervalMs: 250,
      schedulerIntervalMs: 30_000,
      retentionDays: 30,
      metrics: { port: 9100 },
    })
  })

  it('lists every problem at once', () => {
    expect(
      problems({
        DATABASE_URL: 'mysql://x',
        OUTBOX_LEASE_MS: '5000',
        EES_TIMEOUT_MS: '4000',
        OUTBOX_BACKOFF_BASE_MS: '5000',
        OUTBOX_BACKOFF_MAX_MS: '1000',
        WORKER_CONCURRENCY: '12',
      }),
    ).toEqual([
      // The variables shared with the API first (src/config/common.ts), then the worker's own.
      'DATABASE_URL must be a postgres: or postgresql: URL, got "mysql:"',
      'EES_URL is required in EBOX_ENVIRONMENT=development',
      'OAUTH_TOKEN_URL is required for the worker’s EES token',
      'OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required for the worker’s EES token',
      'OUTBOX_LEASE_MS must be at least twice EES_TIMEOUT_MS (8000)',
      'OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_BASE_MS',
      'DB_POOL_MAX must exceed WORKER_CONCURRENCY (12) by one for the scheduler',
    ])
  })
})

describe('process boundaries', () => {
  it('the API never calls EES inline: only the worker (and the CLI entry) imports worker code', async () => {
    const { readdir, readFile } = await import('node:fs/promises')
    const src = new URL('../src/', import.meta.url)
    const files = (await readdir(src, { recursive: true })).filter((file) => file.endsWith('.ts'))
    const importers = []
    for (const file of files) {
      if (file.startsWith('worker/') || file === 'main.ts') continue
      const text = await readFile(new URL(file, src), 'utf8')
      if (/from '(\.\.?\/)+worker\//.test(text)) importers.push(file)
    }
    expect(importers).toEqual([])
  })
})
