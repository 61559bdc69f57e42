import { createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { type DeploymentEnvironment, ENVIRONMENTS } from '@ebox/contract'
import { type ContentStoreConfig, OBJECT_MAX_BYTES, readContentStoreConfig } from './content/config.ts'
import { defaultsFor } from './environment-defaults.ts'
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
  oauth: OAuthConfig
  partitionService: PartitionServiceConfig
  http: HttpConfig
  publication: PublicationConfig
  /** Where attachment content is stored: PostgreSQL or an S3-compatible bucket (src/content/config.ts). */
  contentStore: ContentStoreConfig
  /** `/metrics` for Prometheus, on a port of its own (src/plugins/metrics.ts). */
  metrics: { port: number }
  build: { version: string; commit: string }
}

/** Limits of `POST /ebox/messages` (multipart): bytes per file, bytes per request, attachments per message. */
export interface PublicationConfig {
  maxFileBytes: number
  maxRequestBytes: number
  maxAttachments: number
}

export interface OAuthConfig {
  mode: 'jwt' | 'introspection'
  /** Expected `iss`: required in jwt mode; checked when set in introspection mode. */
  issuer: string | undefined
  /** Expected `aud`: required in jwt mode; checked when set in introspection mode. */
  audience: string | undefined
  /** JWKS of the authorisation server (jwt mode only). */
  jwksUrl: string | undefined
  algorithms: string[]
  clockToleranceSeconds: number
  /** jwt mode: demand the RFC 9068 header `typ: at+jwt`. */
  requireAccessTokenType: boolean
  /** jwt mode: an unknown `kid` refetches the JWKS at most once per this many seconds. */
  jwksCooldownSeconds: number
  /** Token endpoint for the DP's own tokens; also the audience of its client assertions. */
  tokenUrl: string | undefined
  introspectionUrl: string | undefined
  /** The DP's own OAuth client (private_key_jwt): needed for introspection and the Partition service. */
  client: { id: string; privateKeyPem: string } | undefined
  /** Positive introspection answers are kept at most this long (and never past the token's `exp`). */
  introspectionCacheSeconds: number
  /** Bound on one call to the authorisation server: own token + introspection, or a JWKS fetch (jwt mode). */
  introspectionTimeoutMs: number
}

export interface PartitionServiceConfig {
  /** Base URL of the federation's Partition service; undefined = not configured (development, tests). */
  url: string | undefined
  timeoutMs: number
  /** How long a user's partition rights are used before they are fetched again (webhook events apply at once). */
  cacheSeconds: number
  /** Scope asked for the DP's token to the Partition service; undefined = the client's default scopes. */
  scope: string | undefined
}

export interface HttpConfig {
  /** Allowed browser origins (CORS). */
  corsOrigins: string[]
  /** Proxies in front of the service whose X-Forwarded-For is trusted (0 = none). */
  trustProxyHops: number
  maxHeaderBytes: number
  /** Longest time a whole request may take to arrive (large publications over slow links need minutes). */
  requestTimeoutMs: number
  rateLimit: {
    windowSeconds: number
    /** Requests per window and authenticated client (by client id). */
    perClient: number
    /** Requests per window and client IP, before authentication (floods of bad tokens included). */
    perIp: number
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

/** Collects problems instead of throwing at the first, so an operator sees them all at once. */
export class Reader {
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

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.env[name]?.trim().toLowerCase()
    if (!raw) return fallback
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    this.problems.push(`${name} must be true or false, got "${raw}"`)
    return fallback
  }

  /** A URL that is required only when `needed`; undefined when absent and not needed. */
  optionalUrl(name: string, fallback: string | undefined, needed: boolean, why: string): string | undefined {
    const value = this.env[name]?.trim() || fallback
    if (!value) {
      if (needed) this.problems.push(why ? `${name} is required ${why}` : `${name} is required`)
      return undefined
    }
    return this.url(name, value)
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

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

export function loadConfig(env: Env = process.env): Config {
  const read = new Reader(env)
  const environment = read.oneOf('EBOX_ENVIRONMENT', ENVIRONMENTS, 'development')
  const defaults = defaultsFor(environment)
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
    environment,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    db: {
      poolMax: read.integer('DB_POOL_MAX', 10, 1, 200),
      statementTimeoutMs: read.integer('DB_STATEMENT_TIMEOUT_MS', 10_000, 100, 600_000),
    },
    oauth: readOAuth(read, env, defaults, algorithms),
    partitionService: {
      url: read.optionalUrl('PARTITION_SERVICE_URL', defaults?.partitionServiceUrl, false, ''),
      timeoutMs: read.integer('PARTITION_SERVICE_TIMEOUT_MS', 3_000, 100, 60_000),
      cacheSeconds: read.integer('PARTITION_SERVICE_CACHE_SECONDS', 600, 0, 86_400),
      scope: env.PARTITION_SERVICE_SCOPE?.trim() || undefined,
    },
    http: {
      corsOrigins: readOrigins(read, defaults?.corsOrigins ?? []),
      trustProxyHops: read.integer('TRUST_PROXY_HOPS', 0, 0, 10),
      maxHeaderBytes: read.integer('HTTP_MAX_HEADER_BYTES', 16_384, 4_096, 65_536),
      requestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 300_000, 10_000, 3_600_000),
      rateLimit: {
        windowSeconds: read.integer('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3_600),
        perClient: read.integer('RATE_LIMIT_PER_CLIENT', 600, 1, 1_000_000),
        perIp: read.integer('RATE_LIMIT_PER_IP', 1_200, 1, 1_000_000),
      },
    },
    publication: {
      maxFileBytes: read.integer('PUBLICATION_MAX_FILE_BYTES', 100 * 1024 * 1024, 1, 2 ** 40),
      maxRequestBytes: read.integer('PUBLICATION_MAX_REQUEST_BYTES', 250 * 1024 * 1024, 1024, 2 ** 40),
      maxAttachments: read.integer('PUBLICATION_MAX_ATTACHMENTS', 20, 1, 100),
    },
    contentStore: readContentStoreConfig(read, env),
    metrics: { port: read.integer('METRICS_PORT', 9464, 0, 65535) },
    build: {
      version: read.string('APP_VERSION', PACKAGE_VERSION),
      commit: read.string('GIT_COMMIT', 'unknown'),
    },
  }
  if (config.partitionService.url && !config.oauth.client) {
    read.problems.push('OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required to call the Partition service')
  }
  if (config.metrics.port !== 0 && config.metrics.port === config.port) {
    read.problems.push(`METRICS_PORT must differ from PORT (${config.port})`)
  }
  if (config.contentStore.kind === 's3' && config.publication.maxFileBytes > OBJECT_MAX_BYTES) {
    read.problems.push(`PUBLICATION_MAX_FILE_BYTES must be at most ${OBJECT_MAX_BYTES} with CONTENT_STORE=s3`)
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}

function readOAuth(
  read: Reader,
  env: Env,
  defaults: ReturnType<typeof defaultsFor>,
  algorithms: string[],
): OAuthConfig {
  const mode = read.oneOf('OAUTH_MODE', ['jwt', 'introspection'] as const, 'jwt')
  const jwt = mode === 'jwt'
  const introspection = mode === 'introspection'
  const partitionServiceWanted = Boolean(env.PARTITION_SERVICE_URL?.trim() || defaults?.partitionServiceUrl)
  const client = readClient(read, env, introspection)
  return {
    mode,
    issuer: jwt ? read.string('OAUTH_ISSUER') : env.OAUTH_ISSUER?.trim() || undefined,
    audience: jwt ? read.string('OAUTH_AUDIENCE') : env.OAUTH_AUDIENCE?.trim() || undefined,
    // Required in jwt mode (the default), unused in introspection mode.
    jwksUrl: read.optionalUrl('OAUTH_JWKS_URL', undefined, jwt, ''),
    algorithms,
    clockToleranceSeconds: read.integer('OAUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
    requireAccessTokenType: read.boolean('OAUTH_REQUIRE_AT_JWT', true),
    jwksCooldownSeconds: read.integer('OAUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3_600),
    tokenUrl: read.optionalUrl(
      'OAUTH_TOKEN_URL',
      defaults?.oauthTokenUrl,
      introspection || (partitionServiceWanted && client !== undefined),
      'with OAUTH_MODE=introspection or a Partition service',
    ),
    introspectionUrl: read.optionalUrl(
      'OAUTH_INTROSPECTION_URL',
      defaults?.oauthIntrospectionUrl,
      introspection,
      'with OAUTH_MODE=introspection',
    ),
    client,
    introspectionCacheSeconds: read.integer('INTROSPECTION_CACHE_SECONDS', 60, 0, 60),
    introspectionTimeoutMs: read.integer('INTROSPECTION_TIMEOUT_MS', 3_000, 100, 30_000),
  }
}

/** OAUTH_CLIENT_ID with its RSA private key: OAUTH_CLIENT_KEY (PEM) or OAUTH_CLIENT_KEY_FILE (path to a PEM). */
export function readClient(read: Reader, env: Env, needed: boolean): OAuthConfig['client'] {
  const id = env.OAUTH_CLIENT_ID?.trim()
  let pem = env.OAUTH_CLIENT_KEY?.trim().replace(/\\n/g, '\n')
  const file = env.OAUTH_CLIENT_KEY_FILE?.trim()
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
    if (needed)
      read.problems.push('OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required with OAUTH_MODE=introspection')
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

function readOrigins(read: Reader, fallback: readonly string[]): string[] {
  const origins = read.list('CORS_ORIGINS', [...fallback])
  for (const origin of origins) {
    let valid = false
    try {
      const url = new URL(origin)
      valid = (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin
    } catch {}
    if (!valid) read.problems.push(`CORS_ORIGINS must list origins like https://host[:port], got "${origin}"`)
  }
  return origins
}
