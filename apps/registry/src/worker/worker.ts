import { setTimeout as sleep } from 'node:timers/promises'
import closeWithGrace from 'close-with-grace'
import type pg from 'pg'
import pino, { type Logger } from 'pino'
import type { ObjectStore } from '../content/object-store.ts'
import { sweepContentObjects } from '../content/sweeper.ts'
import { migrationsAreCurrent } from '../db/migrate.ts'
import { createPool, ping } from '../db/pool.ts'
import { createFederationClient } from '../federation/client.ts'
import { startMetricsServer } from '../metrics/prometheus.ts'
import { requeueDead } from '../repositories/outbox.ts'
import {
  anchorAuditChain,
  ensureAuditPartitions,
  purgeOutbox,
  runScheduler,
} from '../repositories/scheduler.ts'
import type { WorkerConfig } from './config.ts'
import { type DeliveryHooks, type DeliveryOptions, deliverBatch } from './delivery.ts'
import { createEesClient, type EesClient } from './ees-client.ts'
import { createWorkerMetrics, type WorkerMetrics } from './metrics.ts'

export interface OutboxWorkerOptions {
  delivery: DeliveryOptions
  concurrency: number
  pollIntervalMs: number
  schedulerIntervalMs: number
  /** Delivered and cancelled events of expired messages are deleted this many days after they finished. */
  retentionDays: number
  /** Age of an object claim before the sweeper settles it (src/content/sweeper.ts). */
  contentSweepGraceSeconds?: number
}

export interface OutboxWorkerDeps {
  pool: pg.Pool
  ees: EesClient
  log: Logger
  metrics: WorkerMetrics
  /** Default: the system clock. Tests pass one they move. */
  clock?: () => Date
  hooks?: DeliveryHooks
  /** false: deliver only (tests that drive the scheduler themselves). */
  scheduler?: boolean
  /** The bucket (S3_BUCKET set): the scheduler sweeps its unclaimed, unnamed objects. */
  objects?: ObjectStore
}

export interface OutboxWorker {
  /** Stops claiming; resolves when the batches in flight are recorded. */
  stop(): Promise<void>
}

/**
 * The worker's loops: `concurrency` delivery loops (each claims a batch, posts it, records the outcome, and
 * sleeps `pollIntervalMs` only when nothing was due) and one scheduler loop (reminders, expiration alerts, next
 * year's audit partition). Every replica runs the same loops: claims and the scheduler are safe concurrently.
 */
export function startOutboxWorker(options: OutboxWorkerOptions, deps: OutboxWorkerDeps): OutboxWorker {
  const clock = deps.clock ?? (() => new Date())
  const stopping = new AbortController()
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => {})
  const { metrics, log } = deps
  const hooks: DeliveryHooks = {
    ...deps.hooks,
    onPost(size, outcome) {
      metrics.eesRequests.inc({ outcome })
      if (outcome === 'failed') metrics.deliveryFailures.inc(size)
      deps.hooks?.onPost?.(size, outcome)
    },
  }

  async function deliveryLoop(slot: number) {
    let failures = 0
    while (!stopping.signal.aborted) {
      try {
        const report = await deliverBatch(deps.pool, deps.ees, clock, options.delivery, hooks)
        failures = 0
        if (report.claimed > 0) {
          metrics.deadLetters.inc(report.dead)
          const line = { slot, ...report, errors: report.errors.slice(0, 3) }
          if (report.dead > 0) log.error(line, 'events dead-lettered after their last attempt')
          else if (report.errors.length > 0) log.warn(line, 'EES delivery failed; events will be retried')
          else log.debug(line, 'batch delivered')
        }
        if (report.claimed === 0) await pause(options.pollIntervalMs)
      } catch (error) {
        failures++
        metrics.loopErrors.inc({ loop: 'delivery' })
        log.error({ err: error, slot }, 'delivery round failed')
        await pause(Math.min(options.pollIntervalMs * 2 ** Math.min(failures, 6), 60_000))
      }
    }
  }

  async function schedulerLoop() {
    while (!stopping.signal.aborted) {
      try {
        const now = clock()
        await ensureAuditPartitions(deps.pool, now)
        const run = await runScheduler(deps.pool, now)
        if (run) {
          metrics.scheduled.inc({ event_type: 'newDocumentReminder' }, run.reminders)
          metrics.scheduled.inc({ event_type: 'documentExpirationAlert' }, run.alerts)
          if (run.reminders + run.alerts > 0) log.info(run, 'scheduled events queued')
          const purged = await purgeOutbox(deps.pool, now, options.retentionDays)
          if (purged > 0) log.info({ purged }, 'finished events of expired messages deleted')
          if (deps.objects) {
            const grace = options.contentSweepGraceSeconds ?? 86_400
            const swept = await sweepContentObjects(deps.pool, deps.objects, now, grace)
            if (swept.settled + swept.busy > 0) log.info(swept, 'content object claims settled')
          }
        }
      } catch (error) {
        metrics.loopErrors.inc({ loop: 'scheduler' })
        log.error({ err: error }, 'scheduler round failed')
      }
      // After the round, on its own: a failed anchor neither delays nor stops the scheduler's work.
      await anchorAuditChain(deps.pool).catch((error: unknown) => {
        metrics.loopErrors.inc({ loop: 'scheduler' })
        log.error({ err: error }, 'audit anchor failed')
      })
      await pause(options.schedulerIntervalMs)
    }
  }

  const loops = Array.from({ length: options.concurrency }, (_, slot) => deliveryLoop(slot))
  if (deps.scheduler !== false) loops.push(schedulerLoop())
  const done = Promise.all(loops)
  return {
    async stop() {
      stopping.abort()
      await done
    },
  }
}

/** `registry worker`: the worker process, with its metrics server and graceful shutdown. */
export async function runWorker(config: WorkerConfig): Promise<void> {
  const log = pino({ level: config.logLevel, base: { process: 'worker' } })
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
    applicationName: 'ebox-worker',
    onError: (error) => log.error({ err: error }, 'idle database client failed'),
  })
  const metrics = createWorkerMetrics(pool, config.db.poolMax)
  const federation = createFederationClient({
    tokenUrl: config.oauth.tokenUrl,
    clientId: config.oauth.client.id,
    privateKeyPem: config.oauth.client.privateKeyPem,
  })
  const ees = createEesClient({ ...config.ees, federation })
  const metricsServer = await startMetricsServer(metrics.registry, config.metrics)
  // Probes as for the API: live = the process answers; ready = PostgreSQL answers and is migrated.
  let migrated = false
  const healthServer = await startMetricsServer(undefined, {
    ...config.health,
    async ready(): Promise<{ ok: boolean; checks: Record<string, string> }> {
      try {
        await ping(pool)
        migrated ||= await migrationsAreCurrent(pool)
        return { ok: migrated, checks: { database: 'ok', migrations: migrated ? 'ok' : 'pending' } }
      } catch {
        return { ok: false, checks: { database: 'unreachable' } }
      }
    },
  })
  // The AWS SDK is loaded only when a bucket is configured: a worker without one starts as fast as before.
  const objects = config.contentStore.s3
    ? new (await import('../content/object-store.ts')).ObjectStore(config.contentStore.s3)
    : undefined
  const worker = startOutboxWorker(config, { pool, ees, log, metrics, objects })
  log.info(
    {
      ees: config.ees.url,
      metrics: `${metricsServer.url}/metrics`,
      health: `${healthServer.url}/health/ready`,
      concurrency: config.concurrency,
    },
    'worker started',
  )
  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error')
    else log.info({ signal }, 'shutting down')
    // Batches still in flight after the grace period are not lost: their lease runs out and another worker takes them.
    await worker.stop()
    objects?.close()
    await Promise.all([metricsServer.close(), healthServer.close()])
    await pool.end()
  })
}

/** `registry worker requeue-dead`: dead letters back to pending, attempts reset (after the cause is fixed). */
export async function requeueDeadCommand(databaseUrl: string): Promise<void> {
  const pool = createPool({ connectionString: databaseUrl, max: 1, statementTimeoutMs: 60_000 })
  try {
    console.log(`requeued ${await requeueDead(pool, new Date())} dead events`)
  } finally {
    await pool.end()
  }
}
