import type { Command } from './process.ts'

/**
 * Every environment variable the registry image reads, and which of its processes read it. The registry's
 * configuration reader accepts only these names and infra may set only these; a registry test checks that each
 * process reads exactly the variables listed for it, and that README.md documents each one.
 */
interface Variable {
  readonly processes: readonly Command[]
  /** Comes from a secret store, never from a ConfigMap or a log. */
  readonly secret?: true
}

const ALL = ['serve', 'worker', 'migrate', 'content'] as const
const CONTENT_READERS = ['serve', 'worker', 'content'] as const
const SERVE_AND_WORKER = ['serve', 'worker'] as const
const SERVE = ['serve'] as const
const WORKER = ['worker'] as const

export const VARIABLES = {
  // Every process: the database.
  DATABASE_URL: { processes: ALL, secret: true },
  // The database password when DATABASE_URL carries none (the CloudNativePG stacks).
  PGPASSWORD: { processes: ALL, secret: true },
  // The long-running processes: environment, logging, shutdown, pool, listeners.
  EBOX_ENVIRONMENT: { processes: SERVE_AND_WORKER },
  LOG_LEVEL: { processes: SERVE_AND_WORKER },
  SHUTDOWN_GRACE_MS: { processes: SERVE_AND_WORKER },
  DB_POOL_MAX: { processes: SERVE_AND_WORKER },
  DB_STATEMENT_TIMEOUT_MS: { processes: SERVE_AND_WORKER },
  HOST: { processes: SERVE_AND_WORKER },
  PORT: { processes: SERVE_AND_WORKER },
  METRICS_PORT: { processes: SERVE_AND_WORKER },
  // The DP's own OAuth client, for its calls to the federation.
  OAUTH_TOKEN_URL: { processes: SERVE_AND_WORKER },
  OAUTH_CLIENT_ID: { processes: SERVE_AND_WORKER },
  OAUTH_CLIENT_KEY: { processes: SERVE_AND_WORKER, secret: true },
  OAUTH_CLIENT_KEY_FILE: { processes: SERVE_AND_WORKER },
  // The API.
  OAUTH_MODE: { processes: SERVE },
  OAUTH_ISSUER: { processes: SERVE },
  OAUTH_AUDIENCE: { processes: SERVE },
  OAUTH_JWKS_URL: { processes: SERVE },
  OAUTH_ALGORITHMS: { processes: SERVE },
  OAUTH_CLOCK_TOLERANCE_SECONDS: { processes: SERVE },
  OAUTH_MAX_TOKEN_LIFETIME_SECONDS: { processes: SERVE },
  OAUTH_REQUIRE_AT_JWT: { processes: SERVE },
  OAUTH_JWKS_COOLDOWN_SECONDS: { processes: SERVE },
  OAUTH_INTROSPECTION_URL: { processes: SERVE },
  OAUTH_PORTAL_CLIENT_IDS: { processes: SERVE },
  INTROSPECTION_CACHE_SECONDS: { processes: SERVE },
  INTROSPECTION_TIMEOUT_MS: { processes: SERVE },
  PARTITION_SERVICE_URL: { processes: SERVE },
  PARTITION_SERVICE_TIMEOUT_MS: { processes: SERVE },
  PARTITION_SERVICE_CACHE_SECONDS: { processes: SERVE },
  PARTITION_SERVICE_SCOPE: { processes: SERVE },
  // e-Box Preferences (the federation's web services): whether a recipient has an e-Box, is an active company.
  EBOX_PREFERENCES_URL: { processes: SERVE },
  EBOX_PREFERENCES_TIMEOUT_MS: { processes: SERVE },
  EBOX_PREFERENCES_CACHE_SECONDS: { processes: SERVE },
  EBOX_PREFERENCES_CACHE_ENTRIES: { processes: SERVE },
  // The federation profile (packages/contract/src/federation-profile.ts): names the federation has not confirmed.
  FEDERATION_WEBHOOK_SCOPE: { processes: SERVE },
  FEDERATION_CERTIFICATION_SCOPE: { processes: SERVE },
  FEDERATION_PREFERENCES_SCOPE: { processes: SERVE },
  FEDERATION_CONSENTS_SCOPE: { processes: SERVE },
  FEDERATION_ENTERPRISE_STATUS_SCOPE: { processes: SERVE },
  FEDERATION_EVENT_PARTITION_ADDED: { processes: SERVE },
  FEDERATION_EVENT_PARTITION_REMOVED: { processes: SERVE },
  FEDERATION_EVENT_USER_RIGHT_ADDED: { processes: SERVE },
  FEDERATION_EVENT_USER_RIGHT_REMOVED: { processes: SERVE },
  FEDERATION_USER_RIGHTS_PATH: { processes: SERVE },
  FEDERATION_PREFERENCES_SEARCH_PATH: { processes: SERVE },
  FEDERATION_CONSENTS_SEARCH_PATH: { processes: SERVE },
  FEDERATION_ENTERPRISE_STATUS_PATH: { processes: SERVE },
  FEDERATION_CITIZEN_SSIN_CLAIM: { processes: SERVE },
  FEDERATION_CONSULT_MANDATE_OPERATION: { processes: SERVE },
  CORS_ORIGINS: { processes: SERVE },
  TRUST_PROXY_HOPS: { processes: SERVE },
  HTTP_MAX_HEADER_BYTES: { processes: SERVE },
  HTTP_REQUEST_TIMEOUT_MS: { processes: SERVE },
  HTTP_IDLE_TIMEOUT_MS: { processes: SERVE },
  RATE_LIMIT_WINDOW_SECONDS: { processes: SERVE },
  RATE_LIMIT_PER_CALLER: { processes: SERVE },
  RATE_LIMIT_PER_CLIENT: { processes: SERVE },
  RATE_LIMIT_PER_IP: { processes: SERVE },
  EVENT_MAX_FUTURE_SKEW_SECONDS: { processes: SERVE },
  CERTIFICATION_RESET_ENABLED: { processes: SERVE },
  CERTIFICATION_TEST_EBOXES: { processes: SERVE },
  CERTIFICATION_TEST_DATA_FILE: { processes: SERVE },
  APP_VERSION: { processes: SERVE },
  PUBLIC_BASE_URL: { processes: SERVE },
  GIT_COMMIT: { processes: SERVE },
  PUBLICATION_MAX_FILE_BYTES: { processes: SERVE },
  PUBLICATION_MAX_REQUEST_BYTES: { processes: SERVE },
  PUBLICATION_MAX_ATTACHMENTS: { processes: SERVE },
  // `registry migrate`: bounds on one migration (apps/registry/src/db/migrate.ts).
  MIGRATION_LOCK_TIMEOUT_MS: { processes: ['migrate'] },
  MIGRATION_STATEMENT_TIMEOUT_MS: { processes: ['migrate'] },
  // Publication guards (apps/registry/src/services/publication/): staging, concurrency, minimum upload rate.
  PUBLICATION_STAGING_DIR: { processes: SERVE },
  PUBLICATION_STAGING_MAX_BYTES: { processes: SERVE },
  PUBLICATION_STAGING_MEMORY_FILE_BYTES: { processes: SERVE },
  PUBLICATION_STAGING_MEMORY_MAX_BYTES: { processes: SERVE },
  PUBLICATION_MAX_CONCURRENT_PER_CLIENT: { processes: SERVE },
  PUBLICATION_MAX_CONCURRENT_COMMITS: { processes: SERVE },
  PUBLICATION_MIN_BYTES_PER_SECOND: { processes: SERVE },
  PUBLICATION_MIN_RATE_WINDOW_SECONDS: { processes: SERVE },
  // Where attachment content lives (apps/registry/src/content/config.ts); credentials come from the AWS chain.
  CONTENT_STORE: { processes: CONTENT_READERS },
  S3_BUCKET: { processes: CONTENT_READERS },
  S3_PREFIX: { processes: CONTENT_READERS },
  S3_ENDPOINT: { processes: CONTENT_READERS },
  S3_REGION: { processes: CONTENT_READERS },
  AWS_REGION: { processes: CONTENT_READERS },
  S3_FORCE_PATH_STYLE: { processes: CONTENT_READERS },
  S3_SSE: { processes: CONTENT_READERS },
  S3_SSE_KMS_KEY_ID: { processes: CONTENT_READERS },
  S3_TIMEOUT_MS: { processes: CONTENT_READERS },
  // The worker.
  CONTENT_SWEEP_GRACE_SECONDS: { processes: WORKER },
  EES_URL: { processes: WORKER },
  EES_TIMEOUT_MS: { processes: WORKER },
  EES_SCOPE: { processes: WORKER },
  OUTBOX_BATCH_SIZE: { processes: WORKER },
  OUTBOX_LEASE_MS: { processes: WORKER },
  OUTBOX_MAX_ATTEMPTS: { processes: WORKER },
  OUTBOX_BACKOFF_BASE_MS: { processes: WORKER },
  OUTBOX_BACKOFF_MAX_MS: { processes: WORKER },
  OUTBOX_RETENTION_DAYS: { processes: WORKER },
  WORKER_CONCURRENCY: { processes: WORKER },
  WORKER_POLL_INTERVAL_MS: { processes: WORKER },
  WORKER_SCHEDULER_INTERVAL_MS: { processes: WORKER },
} as const satisfies Record<string, Variable>

export type VariableName = keyof typeof VARIABLES

/** The variables `command` reads. */
export function variablesOf(command: Command): VariableName[] {
  return (Object.keys(VARIABLES) as VariableName[]).filter((name) =>
    (VARIABLES[name].processes as readonly Command[]).includes(command),
  )
}
