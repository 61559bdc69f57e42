import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPool } from '../src/db/pool.ts'
import { type MetricsServer, startMetricsServer } from '../src/metrics/prometheus.ts'
import { startOutboxWorker } from '../src/worker/worker.ts'
import { type EesStub, startEesStub } from './support/ees-stub.ts'
import {
  eesClientFor,
  insertMessage,
  metricsFor,
  outboxRows,
  queueNewDocuments,
  seedSender,
  silentLog,
  workerCredentialsEnv,
} from './support/federation-fixtures.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
let stub: EesStub

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedSender(registry.pool)
  stub = await startEesStub({ tokenIsValid: (token) => registry.issuer.introspect(token).active })
})
afterAll(async () => {
  await stub.close()
  await registry.close()
})
beforeEach(async () => {
  await registry.pool.query('DELETE FROM outbox_events')
  stub.received.length = 0
  stub.accepted.clear()
  stub.behaviour = 'ok'
  stub.delayMs = 0
})

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
const allDelivered = async () => (await outboxRows(registry.pool)).every((row) => row.status === 'delivered')

describe('several workers', () => {
  it('two workers at once, each with concurrent batches, deliver every event exactly once', async () => {
    await queueNewDocuments(registry.pool, 240)
    stub.delayMs = 5
    const pools = [0, 1].map(() =>
      createPool({ connectionString: registry.config.databaseUrl, max: 5, statementTimeoutMs: 10_000 }),
    )
    const workers = await Promise.all(
      pools.map(async (pool) =>
        startOutboxWorker(
          {
            delivery: {
              batchSize: 7,
              leaseMs: 30_000,
              maxAttempts: 5,
              backoffBaseMs: 100,
              backoffMaxMs: 1_000,
            },
            concurrency: 3,
            pollIntervalMs: 20,
            schedulerIntervalMs: 60_000,
            retentionDays: 90,
          },
          {
            pool,
            ees: await eesClientFor(registry.issuer, stub.url),
            log: silentLog,
            metrics: metricsFor(pool),
            scheduler: false,
          },
        ),
      ),
    )
    try {
      await until(allDelivered)
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()))
      await Promise.all(pools.map((pool) => pool.end()))
    }
    const ids = stub.received.map((event) => event.eventCorrelationId)
    expect(ids).toHaveLength(240)
    expect(new Set(ids).size).toBe(240)
    expect(stub.requests).toBeGreaterThanOrEqual(240 / 7)
  })

  it('the worker loop queues a due reminder and delivers it, and exports its metrics', async () => {
    const messageId = await insertMessage(registry.pool, {
      publishedAt: '2026-01-01T10:00:00+01:00',
      expiresAt: '2030-01-01T10:00:00+01:00',
    })
    const pool = createPool({
      connectionString: registry.config.databaseUrl,
      max: 4,
      statementTimeoutMs: 10_000,
    })
    const metrics = metricsFor(pool)
    let server: MetricsServer | undefined
    const worker = startOutboxWorker(
      {
        delivery: { batchSize: 10, leaseMs: 30_000, maxAttempts: 5, backoffBaseMs: 100, backoffMaxMs: 1_000 },
        concurrency: 1,
        pollIntervalMs: 20,
        schedulerIntervalMs: 50,
        retentionDays: 90,
      },
      {
        pool,
        ees: await eesClientFor(registry.issuer, stub.url),
        log: silentLog,
        metrics,
        clock: () => new Date('2026-01-20T00:00:00Z'),
      },
    )
    try {
      await until(async () => stub.received.some((event) => event.messageId === messageId))
      expect(stub.received.find((event) => event.messageId === messageId)?.eventType).toBe(
        'newDocumentReminder',
      )
      server = await startMetricsServer(metrics.registry, { host: '127.0.0.1', port: 0 })
      await until(allDelivered)
      const text = await (await fetch(`${server.url}/metrics`)).text()
      expect(text).toMatch(/outbox_backlog\{.*\} 0/)
      expect(text).toMatch(/outbox_oldest_pending_age_seconds\{.*\} 0/)
      expect(text).toMatch(/outbox_dead_letters\{.*\} 0/)
      expect(text).toMatch(/ees_requests_total\{.*outcome="accepted".*\} [1-9]/)
      expect(text).toMatch(/scheduler_events_total\{.*event_type="newDocumentReminder".*\} 1/)
      expect(text).toContain('ees_delivery_failures_total')
      expect(text).toContain('db_pool_connections')
    } finally {
      await worker.stop()
      await server?.close()
      await pool.end()
    }
  })
})

describe('the worker process (`registry worker`)', () => {
  const appDir = fileURLToPath(new URL('..', import.meta.url))

  const outputs = new Map<ChildProcess, string>()

  async function spawnWorker(env: Record<string, string>): Promise<ChildProcess> {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'src/main.ts', 'worker'],
      {
        cwd: appDir,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: registry.config.databaseUrl,
          EBOX_ENVIRONMENT: 'test',
          EES_URL: stub.url,
          PORT: '0',
          METRICS_PORT: '0',
          LOG_LEVEL: 'warn',
          WORKER_POLL_INTERVAL_MS: '50',
          ...(await workerCredentialsEnv(registry.issuer)),
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    outputs.set(child, '')
    child.stdout?.on('data', (chunk) => outputs.set(child, outputs.get(child) + String(chunk)))
    return child
  }

  async function startedLine(child: ChildProcess): Promise<{ health: string; metrics: string }> {
    let found: { health: string; metrics: string } | undefined
    await until(async () => {
      const line = (outputs.get(child) ?? '').split('\n').find((text) => text.includes('"worker started"'))
      found = line ? JSON.parse(line) : undefined
      return found !== undefined
    })
    return found!
  }

  it('killed (SIGKILL) mid-batch loses nothing: the next worker delivers the batch after its lease', async () => {
    await queueNewDocuments(registry.pool, 8)
    stub.behaviour = 'hang'
    // One batch holding all eight, so what the stand-in received is exactly what the worker had claimed.
    const first = await spawnWorker({
      EES_TIMEOUT_MS: '30000',
      OUTBOX_LEASE_MS: '60000',
      OUTBOX_BATCH_SIZE: '8',
      WORKER_CONCURRENCY: '1',
    })
    await stub.waitForRequests(stub.requests + 1, 20_000)
    const inFlight = stub.received.map((event) => event.eventCorrelationId)
    first.kill('SIGKILL')
    await once(first, 'exit')

    const abandoned = await outboxRows(registry.pool)
    expect(abandoned.every((row) => row.status === 'pending' && row.claim_id !== null)).toBe(true)
    expect(new Set(inFlight)).toEqual(new Set(abandoned.map((row) => row.event_id)))

    // Make the lease run out now rather than in a minute.
    await registry.pool.query("UPDATE outbox_events SET next_attempt_at = now() WHERE status = 'pending'")
    stub.behaviour = 'ok'
    const second = await spawnWorker({ EES_TIMEOUT_MS: '1000', OUTBOX_LEASE_MS: '2000', LOG_LEVEL: 'info' })
    try {
      await until(allDelivered, 20_000)
      // The probes and the metrics of the process, on the ports it logged.
      const started = await startedLine(second)
      expect((await fetch(`${started.health}`)).status).toBe(200)
      expect((await fetch(started.health.replace('/ready', '/live'))).status).toBe(200)
      const metrics = await (await fetch(started.metrics)).text()
      expect(metrics).toMatch(/outbox_backlog\{.*process="worker".*\} 0/)
    } finally {
      second.kill('SIGTERM')
    }
    const [code] = await once(second, 'exit')
    expect(code).toBe(0)
    expect(new Set(stub.accepted.keys())).toEqual(new Set(abandoned.map((row) => row.event_id)))
  })

  it('refuses to start without what it needs, one line per problem', async () => {
    const child = await spawnWorker({ EES_URL: '', OAUTH_CLIENT_ID: '', OAUTH_CLIENT_KEY: '' })
    let stderr = ''
    child.stderr?.on('data', (chunk) => {
      stderr += chunk
    })
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stderr).toContain('configuration: EES_URL is required in EBOX_ENVIRONMENT=test')
    expect(stderr).toContain('configuration: OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required')
  })
})
