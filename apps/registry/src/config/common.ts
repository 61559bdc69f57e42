import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type DeploymentEnvironment, ENVIRONMENTS } from '@ebox/contract'
import { DEFAULT_PORTS, DEFAULT_SHUTDOWN_GRACE_MS } from '@ebox/deployment'
import { type MigrateOptions, migrationDefaults } from '../db/migrate.ts'
import { defaultsFor, type EnvironmentDefaults } from '../environment-defaults.ts'
import { type Env, type Reader, readConfiguration } from './reader.ts'

/**
 * The variables more than one process reads, declared once: `registry serve` (src/config.ts), `registry worker`
 * (src/worker/config.ts) and `registry migrate` (below) add only their own. README.md documents each variable.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** What one-shot commands such as `registry worker requeue-dead` need: the database, nothing else. */
export interface DatabaseConfig {
  databaseUrl: string
}

/** `registry migrate`: the database and how long a migration may wait for a lock or run one statement. */
export interface MigrateConfig extends DatabaseConfig {
  timeouts: Required<Omit<MigrateOptions, 'dir'>>
}

/** What every long-running process (serve, worker) reads first. */
export interface ProcessConfig extends DatabaseConfig {
  environment: DeploymentEnvironment
  logLevel: LogLevel
  shutdownGraceMs: number
  db: { poolMax: number; statementTimeoutMs: number }
}

/**
 * DATABASE_URL, with PGPASSWORD put in when the URL carries none: on Kubernetes the URL (host, role, database)
 * is plain configuration and only the password comes from a Secret (infra/src/database.ts).
 */
export function readDatabaseUrl(read: Reader): string {
  const url = read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:'])
  const password = read.optional('PGPASSWORD')
  if (!password || !url) return url
  const parsed = new URL(url)
  if (parsed.password) return url
  parsed.password = password
  return parsed.toString()
}

export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  return readConfiguration(env, (read) => ({ databaseUrl: readDatabaseUrl(read) }))
}

export function loadMigrateConfig(env: Env = process.env): MigrateConfig {
  return readConfiguration(env, (read) => ({
    databaseUrl: readDatabaseUrl(read),
    timeouts: {
      lockTimeoutMs: read.integer('MIGRATION_LOCK_TIMEOUT_MS', migrationDefaults.lockTimeoutMs, 0, 600_000),
      statementTimeoutMs: read.integer(
        'MIGRATION_STATEMENT_TIMEOUT_MS',
        migrationDefaults.statementTimeoutMs,
        0,
        86_400_000,
      ),
    },
  }))
}

/** The common part of serve and worker, with the federation defaults of its environment (ACC and PRD). */
export function readProcess(read: Reader): ProcessConfig & { defaults: EnvironmentDefaults | undefined } {
  const environment = read.oneOf('EBOX_ENVIRONMENT', ENVIRONMENTS, 'development')
  return {
    defaults: defaultsFor(environment),
    databaseUrl: readDatabaseUrl(read),
    environment,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS, 0, 120_000),
    db: {
      poolMax: read.integer('DB_POOL_MAX', 10, 1, 200),
      statementTimeoutMs: read.integer('DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000),
    },
  }
}

/** HOST, PORT (the API, or the worker's probes) and METRICS_PORT, which must differ. */
export function readListeners(read: Reader): { host: string; port: number; metricsPort: number } {
  const host = read.string('HOST', '127.0.0.1')
  const port = read.integer('PORT', DEFAULT_PORTS.http, 0, 65535)
  const metricsPort = read.integer('METRICS_PORT', DEFAULT_PORTS.metrics, 0, 65535)
  if (metricsPort !== 0 && metricsPort === port) {
    read.problems.push(`METRICS_PORT must differ from PORT (${port})`)
  }
  return { host, port, metricsPort }
}

export interface ClientConfig {
  id: string
  privateKeyPem: string
}

/**
 * The DP's own OAuth client for its federation calls: OAUTH_CLIENT_ID with its RSA private key, OAUTH_CLIENT_KEY
 * (PEM) or OAUTH_CLIENT_KEY_FILE (path to a PEM). `requiredWhy` set: a problem when none of them is given.
 */
export function readClient(read: Reader, requiredWhy?: string): ClientConfig | undefined {
  const id = read.optional('OAUTH_CLIENT_ID')
  let pem = read.optional('OAUTH_CLIENT_KEY')?.replace(/\\n/g, '\n')
  const file = read.optional('OAUTH_CLIENT_KEY_FILE')
  if (!pem && file) {
    try {
      pem = readFileSync(file, 'utf8').trim()
    } catch (error) {
      read.problems.push(
        `OAUTH_CLIENT_KEY_FILE cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      )
      return undefined
    }
  }
  if (!id && !pem) {
    if (requiredWhy) read.problems.push(`OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required ${requiredWhy}`)
    return undefined
  }
  if (!id) read.problems.push('OAUTH_CLIENT_ID is required with OAUTH_CLIENT_KEY')
  if (!pem) read.problems.push('OAUTH_CLIENT_KEY or OAUTH_CLIENT_KEY_FILE is required with OAUTH_CLIENT_ID')
  if (!id || !pem) return undefined
  try {
    const key = createPrivateKey(pem)
    if (key.asymmetricKeyType !== 'rsa') {
      read.problems.push(`OAUTH_CLIENT_KEY must be an RSA private key (RS256), got ${key.asymmetricKeyType}`)
    }
  } catch {
    // Never echo the value: it is a secret.
    read.problems.push('OAUTH_CLIENT_KEY is not a PEM private key')
  }
  return { id, privateKeyPem: pem }
}

/** The token endpoint of the DP's own tokens (ACC and PRD have a default); `requiredWhy` set: it must be known. */
export function readTokenUrl(
  read: Reader,
  defaults: EnvironmentDefaults | undefined,
  requiredWhy?: string,
): string | undefined {
  return read.optionalUrl(
    'OAUTH_TOKEN_URL',
    defaults?.oauthTokenUrl,
    requiredWhy !== undefined,
    requiredWhy ?? '',
  )
}
