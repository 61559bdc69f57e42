import {
  type ClientConfig,
  type ProcessConfig,
  readClient,
  readListeners,
  readProcess,
  readTokenUrl,
} from '../config/common.ts'
import { type Env, type Reader, readConfiguration } from '../config/reader.ts'
import { type ContentStoreConfig, readContentStoreConfig } from '../content/config.ts'
import type { DeliveryOptions } from './delivery.ts'

/**
 * What `registry worker` needs — and nothing of the API's (no OAUTH_AUDIENCE, no JWKS): the database, EES, the
 * DP's own OAuth client for its EES token, the delivery and scheduler tunables, the metrics port. README.md
 * documents each variable.
 */
export interface WorkerConfig extends ProcessConfig {
  metrics: { host: string; port: number }
  /** `/health/live` and `/health/ready` for the orchestrator's probes (PORT, as the API's). */
  health: { host: string; port: number }
  ees: { url: string; timeoutMs: number; scope: string | undefined }
  oauth: { tokenUrl: string; client: ClientConfig }
  delivery: DeliveryOptions
  /** Batches in flight at once in this process. */
  concurrency: number
  /** Pause of an idle delivery loop before it looks for due events again. */
  pollIntervalMs: number
  schedulerIntervalMs: number
  /** Delivered and cancelled events of expired messages are deleted this many days after they finished. */
  retentionDays: number
  /** With S3_BUCKET set, the scheduler sweeps objects no contents row names (src/content/sweeper.ts). */
  contentStore: ContentStoreConfig
  /** Age of a claim before the sweeper settles it: longer than any publication (HTTP_REQUEST_TIMEOUT_MS). */
  contentSweepGraceSeconds: number
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return readConfiguration(env, readWorkerConfig)
}

function readWorkerConfig(read: Reader): WorkerConfig {
  // EES and token endpoints of ACC and PRD come from environment-defaults.ts; elsewhere they must be set.
  const { defaults, ...common } = readProcess(read)
  const eesUrl = read.optionalUrl(
    'EES_URL',
    defaults?.eesUrl,
    true,
    `in EBOX_ENVIRONMENT=${common.environment}`,
  )
  const tokenUrl = readTokenUrl(read, defaults, 'for the worker’s EES token')
  const client = readClient(read, 'for the worker’s EES token')
  const timeoutMs = read.integer('EES_TIMEOUT_MS', 10_000, 100, 120_000)
  const { host, port, metricsPort } = readListeners(read)
  const config = {
    ...common,
    metrics: { host, port: metricsPort },
    health: { host, port },
    ees: { url: eesUrl ?? '', timeoutMs, scope: read.optional('EES_SCOPE') },
    oauth: { tokenUrl: tokenUrl ?? '', client: client ?? { id: '', privateKeyPem: '' } },
    delivery: {
      batchSize: read.integer('OUTBOX_BATCH_SIZE', 50, 1, 500),
      leaseMs: read.integer('OUTBOX_LEASE_MS', 60_000, 1_000, 3_600_000),
      maxAttempts: read.integer('OUTBOX_MAX_ATTEMPTS', 100, 1, 10_000),
      backoffBaseMs: read.integer('OUTBOX_BACKOFF_BASE_MS', 1_000, 10, 3_600_000),
      backoffMaxMs: read.integer('OUTBOX_BACKOFF_MAX_MS', 900_000, 10, 86_400_000),
    },
    concurrency: read.integer('WORKER_CONCURRENCY', 4, 1, 64),
    pollIntervalMs: read.integer('WORKER_POLL_INTERVAL_MS', 1_000, 10, 600_000),
    schedulerIntervalMs: read.integer('WORKER_SCHEDULER_INTERVAL_MS', 60_000, 100, 86_400_000),
    retentionDays: read.integer('OUTBOX_RETENTION_DAYS', 90, 1, 36_500),
    contentStore: readContentStoreConfig(read),
    contentSweepGraceSeconds: read.integer('CONTENT_SWEEP_GRACE_SECONDS', 86_400, 3_600, 30 * 86_400),
  } satisfies WorkerConfig
  if (config.delivery.leaseMs < 2 * timeoutMs) {
    read.problems.push(`OUTBOX_LEASE_MS must be at least twice EES_TIMEOUT_MS (${2 * timeoutMs})`)
  }
  if (config.delivery.backoffMaxMs < config.delivery.backoffBaseMs) {
    read.problems.push('OUTBOX_BACKOFF_MAX_MS must be at least OUTBOX_BACKOFF_BASE_MS')
  }
  if (config.db.poolMax < config.concurrency + 1) {
    read.problems.push(
      `DB_POOL_MAX must exceed WORKER_CONCURRENCY (${config.concurrency}) by one for the scheduler`,
    )
  }
  return config
}
