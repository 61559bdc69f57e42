import { type DeploymentEnvironment, ENVIRONMENTS } from '@ebox/contract'
import { PACKAGE_VERSION } from './version.ts'

/**
 * Configuration from environment variables, read and validated once at start. Every wrong or missing value
 * yields one line in `ConfigError.problems`; the process prints them and exits without starting.
 * README.md documents each variable.
 */
export interface Config {
  databaseUrl: string
  host: string
  port: number
  environment: DeploymentEnvironment
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  shutdownGraceMs: number
  db: { poolMax: number; statementTimeoutMs: number }
  oauth: {
    mode: 'jwt' | 'introspection'
    issuer: string
    audience: string
    jwksUrl: string
    algorithms: string[]
    clockToleranceSeconds: number
  }
  publication: PublicationConfig
  build: { version: string; commit: string }
}

/** Limits of `POST /ebox/messages` (multipart): bytes per file, bytes per request, attachments per message. */
export interface PublicationConfig {
  maxFileBytes: number
  maxRequestBytes: number
  maxAttachments: number
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/** Collects problems instead of throwing at the first, so an operator sees them all at once. */
class Reader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name]?.trim()
    if (value) return value
    if (fallback !== undefined) return fallback
    this.problems.push(`${name} is required`)
    return ''
  }

  url(name: string, fallback?: string, protocols = ['http:', 'https:']): string {
    const value = this.string(name, fallback)
    if (!value) return value
    try {
      const parsed = new URL(value)
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`)
      }
    } catch {
      this.problems.push(`${name} must be a URL, got "${value}"`)
    }
    return value
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim()
    if (!raw) return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return value
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[name]?.trim()
    if (!raw) return fallback
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
      return fallback
    }
    return raw as T
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name]?.trim()
    return raw
      ? raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : fallback
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

export function loadConfig(env: Env = process.env): Config {
  const read = new Reader(env)
  const algorithms = read.list('OAUTH_ALGORITHMS', ['RS256', 'PS256', 'ES256'])
  for (const alg of algorithms) {
    if (!SIGNING_ALGORITHMS.includes(alg)) {
      read.problems.push(
        `OAUTH_ALGORITHMS may only name asymmetric algorithms (${SIGNING_ALGORITHMS.join(', ')}), got "${alg}"`,
      )
    }
  }
  const config: Config = {
    databaseUrl: read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']),
    host: read.string('HOST', '127.0.0.1'),
    port: read.integer('PORT', 8080, 0, 65535),
    environment: read.oneOf('EBOX_ENVIRONMENT', ENVIRONMENTS, 'development'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    db: {
      poolMax: read.integer('DB_POOL_MAX', 10, 1, 200),
      statementTimeoutMs: read.integer('DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    oauth: {
      mode: read.oneOf('OAUTH_MODE', ['jwt', 'introspection'] as const, 'jwt'),
      issuer: read.string('OAUTH_ISSUER'),
      audience: read.string('OAUTH_AUDIENCE'),
      jwksUrl: read.url('OAUTH_JWKS_URL'),
      algorithms,
      clockToleranceSeconds: read.integer('OAUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
    },
    publication: {
      maxFileBytes: read.integer('PUBLICATION_MAX_FILE_BYTES', 100 * 1024 * 1024, 1, 2 ** 40),
      maxRequestBytes: read.integer('PUBLICATION_MAX_REQUEST_BYTES', 250 * 1024 * 1024, 1024, 2 ** 40),
      maxAttachments: read.integer('PUBLICATION_MAX_ATTACHMENTS', 20, 1, 100),
    },
    build: {
      version: read.string('APP_VERSION', PACKAGE_VERSION),
      commit: read.string('GIT_COMMIT', 'unknown'),
    },
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}
