import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FederationProfile, readFederationProfile } from '@ebox/contract'
import { type CertificationConfig, readCertificationConfig } from './config/certification.ts'
import {
  type ClientConfig,
  type ProcessConfig,
  readClient,
  readListeners,
  readProcess,
  readTokenUrl,
} from './config/common.ts'
import { type Env, type Reader, readConfiguration } from './config/reader.ts'
import { type ContentStoreConfig, OBJECT_MAX_BYTES, readContentStoreConfig } from './content/config.ts'
import type { EnvironmentDefaults } from './environment-defaults.ts'
import { PACKAGE_VERSION } from './version.ts'

export { ConfigError } from './config/reader.ts'

/**
 * Configuration of `registry serve` from environment variables, read and validated once at start: the
 * variables shared with the worker come from src/config/common.ts. Every wrong or missing value yields one
 * line in `ConfigError.problems`; the process prints them and exits without starting. README.md documents
 * each variable.
 */
export interface Config extends ProcessConfig {
  host: string
  port: number
  oauth: OAuthConfig
  partitionService: PartitionServiceConfig
  /** e-Box Preferences: whether a recipient has an e-Box (NO_DIGITAL_USER) and is an active company. */
  eboxPreferences: EboxPreferencesConfig
  /** Names of the federation not confirmed yet (FEDERATION_*; packages/contract/src/federation-profile.ts). */
  federationProfile: FederationProfile
  http: HttpConfig
  publication: PublicationConfig
  /** Where attachment content is stored: PostgreSQL or an S3-compatible bucket (src/content/config.ts). */
  contentStore: ContentStoreConfig
  /** `POST /certification/resetDataSet`: switched on or not, its test e-Boxes and test data file. */
  certification: CertificationConfig
  /** `POST /eventNotifications`: how far into the future an event's time may lie (routes/event-notifications.ts). */
  eventNotifications: { maxFutureSkewSeconds: number }
  /** `/metrics` for Prometheus, on a port of its own (src/plugins/app/metrics.ts). */
  metrics: { port: number }
  build: { version: string; commit: string }
  /**
   * The service's URL as its callers reach it (no trailing slash): `contentHref` values are absolute URLs under
   * it (the portal calls the DP from the browser; a relative href would resolve against the portal's origin).
   */
  publicBaseUrl: string
}

/** Limits of `POST /ebox/messages` (multipart): bytes per file, bytes per request, attachments per message. */
export interface PublicationConfig {
  maxFileBytes: number
  maxRequestBytes: number
  maxAttachments: number
  /** Where file parts are staged before the commit (src/services/publication/staging.ts). */
  stagingDir: string
  /** Bytes staged at once across all publications of this process; over it: 503 with Retry-After. */
  stagingMaxBytes: number
  /** A staged file up to this size stays in memory (0: every file on disk). */
  stagingMemoryFileBytes: number
  /** Staged bytes held in memory across all publications; beyond it files go to disk. */
  stagingMemoryMaxBytes: number
  /** Publications one client may have in flight at once; over it: 429 with Retry-After. */
  maxConcurrentPerClient: number
  /** Publication commits (transactions) at once: a bounded share of DB_POOL_MAX, the rest stays for reads. */
  maxConcurrentCommits: number
  /** A body arriving slower than this over `minRateWindowSeconds` is cut with 408 (0 = no minimum). */
  minBytesPerSecond: number
  minRateWindowSeconds: number
}

export interface OAuthConfig {
  mode: 'jwt' | 'introspection'
  /** Expected `iss`: required in jwt mode and in ACC/PRD; checked when set in introspection mode. */
  issuer: string | undefined
  /** Expected `aud`: required in jwt mode and in ACC/PRD; checked when set in introspection mode. */
  audience: string | undefined
  /** JWKS of the authorisation server (jwt mode only). */
  jwksUrl: string | undefined
  algorithms: string[]
  clockToleranceSeconds: number
  /** Longest accepted token lifetime (`exp - iat`), both modes. */
  maxTokenLifetimeSeconds: number
  /** jwt mode: demand the RFC 9068 header `typ: at+jwt`. */
  requireAccessTokenType: boolean
  /** jwt mode: an unknown `kid` refetches the JWKS at most once per this many seconds. */
  jwksCooldownSeconds: number
  /** Token endpoint for the DP's own tokens; also the audience of its client assertions. */
  tokenUrl: string | undefined
  introspectionUrl: string | undefined
  /** The DP's own OAuth client (private_key_jwt): needed for introspection and the Partition service. */
  client: ClientConfig | undefined
  /** Positive introspection answers are kept at most this long (and never past the token's `exp`). */
  introspectionCacheSeconds: number
  /** Bound on one call to the authorisation server: own token + introspection, or a JWKS fetch (jwt mode). */
  introspectionTimeoutMs: number
  /** Client ids whose tokens always act for a person (the e-Box portal); see auth/principal.ts classifyCaller. */
  portalClientIds: string[]
  /** principalAttributes key of a person's SSIN: the federation profile's FEDERATION_CITIZEN_SSIN_CLAIM. */
  citizenSsinClaim: string
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

export interface EboxPreferencesConfig {
  /** Base URL of the federation's web services (…/federation/v1); undefined = none: publication answers 503. */
  url: string | undefined
  timeoutMs: number
  /** How long an answer about one recipient is used (both answers: has an e-Box or not). */
  cacheSeconds: number
  /** Recipients remembered at most; the oldest answer goes first. */
  cacheEntries: number
}

export interface HttpConfig {
  /** Allowed browser origins (CORS). */
  corsOrigins: string[]
  /** Proxies in front of the service whose X-Forwarded-For is trusted (0 = none). */
  trustProxyHops: number
  maxHeaderBytes: number
  /** Longest time a whole request may take to arrive (large publications over slow links need minutes). */
  requestTimeoutMs: number
  /**
   * A connection on which nothing moves for this long is closed: a request that stops arriving, or an answer the
   * client stops reading (a download it never reads). Node re-arms the timer once while a write is still queued,
   * so a stalled answer is cut after at most twice this.
   */
  idleTimeoutMs: number
  rateLimit: {
    windowSeconds: number
    /** Requests per window and caller: client id + e-Box (+ user for portal users), across all replicas. */
    perCaller: number
    /** Requests per window and client id, all its e-Boxes and users together, across all replicas. */
    perClient: number
    /** Requests per window and client IP, before authentication (floods of bad tokens included). */
    perIp: number
  }
}

const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA']

export function loadConfig(env: Env = process.env): Config {
  return readConfiguration(env, readServeConfig)
}

/** Environments where the public URL must be set, and be https (conformance profiles ACC and PRD). */
const PUBLIC_URL_REQUIRED = ['acceptation', 'production']

function readPublicBaseUrl(
  read: Reader,
  environment: string,
  listeners: { host: string; port: number },
): string {
  const required = PUBLIC_URL_REQUIRED.includes(environment)
  // Elsewhere (development, quickstart, tests): the service's own address.
  const host = ['0.0.0.0', '::', ''].includes(listeners.host) ? 'localhost' : listeners.host
  const own = `http://${host.includes(':') ? `[${host}]` : host}:${listeners.port}`
  const value = read.url('PUBLIC_BASE_URL', required ? undefined : own, required ? ['https:'] : undefined)
  if (!value) return value
  try {
    const url = new URL(value)
    if (url.search || url.hash) read.problems.push('PUBLIC_BASE_URL may not have a query or a fragment')
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    return value
  }
}

function readServeConfig(read: Reader): Config {
  const { defaults, ...common } = readProcess(read)
  const algorithms = read.list('OAUTH_ALGORITHMS', ['RS256', 'PS256', 'ES256'])
  for (const alg of algorithms) {
    if (!SIGNING_ALGORITHMS.includes(alg)) {
      read.problems.push(
        `OAUTH_ALGORITHMS may only name asymmetric algorithms (${SIGNING_ALGORITHMS.join(', ')}), got "${alg}"`,
      )
    }
  }
  const listeners = readListeners(read)
  const federationProfile = readProfile(read)
  const config: Config = {
    ...common,
    host: listeners.host,
    port: listeners.port,
    oauth: { ...readOAuth(read, defaults, algorithms), citizenSsinClaim: federationProfile.citizenSsinClaim },
    partitionService: {
      url: read.optionalUrl('PARTITION_SERVICE_URL', defaults?.partitionServiceUrl, false, ''),
      timeoutMs: read.integer('PARTITION_SERVICE_TIMEOUT_MS', 3_000, 100, 60_000),
      cacheSeconds: read.integer('PARTITION_SERVICE_CACHE_SECONDS', 600, 0, 86_400),
      scope: read.optional('PARTITION_SERVICE_SCOPE'),
    },
    eboxPreferences: {
      url: read.optionalUrl('EBOX_PREFERENCES_URL', defaults?.eboxPreferencesUrl, false, ''),
      timeoutMs: read.integer('EBOX_PREFERENCES_TIMEOUT_MS', 3_000, 100, 60_000),
      cacheSeconds: read.integer('EBOX_PREFERENCES_CACHE_SECONDS', 300, 0, 86_400),
      cacheEntries: read.integer('EBOX_PREFERENCES_CACHE_ENTRIES', 10_000, 1, 1_000_000),
    },
    federationProfile,
    http: {
      corsOrigins: readOrigins(read, defaults?.corsOrigins ?? []),
      trustProxyHops: read.integer('TRUST_PROXY_HOPS', 0, 0, 10),
      maxHeaderBytes: read.integer('HTTP_MAX_HEADER_BYTES', 16_384, 4_096, 65_536),
      requestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 300_000, 10_000, 3_600_000),
      idleTimeoutMs: read.integer('HTTP_IDLE_TIMEOUT_MS', 30_000, 1_000, 600_000),
      rateLimit: {
        windowSeconds: read.integer('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 3_600),
        perCaller: read.integer('RATE_LIMIT_PER_CALLER', 600, 1, 1_000_000),
        perClient: read.integer('RATE_LIMIT_PER_CLIENT', 6_000, 1, 10_000_000),
        perIp: read.integer('RATE_LIMIT_PER_IP', 1_200, 1, 1_000_000),
      },
    },
    publication: {
      maxFileBytes: read.integer('PUBLICATION_MAX_FILE_BYTES', 100 * 1024 * 1024, 1, 2 ** 40),
      maxRequestBytes: read.integer('PUBLICATION_MAX_REQUEST_BYTES', 250 * 1024 * 1024, 1024, 2 ** 40),
      maxAttachments: read.integer('PUBLICATION_MAX_ATTACHMENTS', 20, 1, 100),
      ...readPublicationGuards(read, common.db.poolMax),
    },
    contentStore: readContentStoreConfig(read),
    certification: readCertificationConfig(read, common.environment),
    eventNotifications: {
      maxFutureSkewSeconds: read.integer('EVENT_MAX_FUTURE_SKEW_SECONDS', 30, 0, 300),
    },
    metrics: { port: listeners.metricsPort },
    publicBaseUrl: readPublicBaseUrl(read, common.environment, listeners),
    build: {
      version: read.string('APP_VERSION', PACKAGE_VERSION),
      commit: read.string('GIT_COMMIT', 'unknown'),
    },
  }
  if (config.partitionService.url && !config.oauth.client) {
    read.problems.push('OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required to call the Partition service')
  }
  if (config.eboxPreferences.url && !config.oauth.client) {
    read.problems.push('OAUTH_CLIENT_ID and OAUTH_CLIENT_KEY are required to call e-Box Preferences')
  }
  if (config.contentStore.kind === 's3' && config.publication.maxFileBytes > OBJECT_MAX_BYTES) {
    read.problems.push(`PUBLICATION_MAX_FILE_BYTES must be at most ${OBJECT_MAX_BYTES} with CONTENT_STORE=s3`)
  }
  return config
}

/** The federation profile: each FEDERATION_* variable, or its default; one problem per invalid value. */
function readProfile(read: Reader): FederationProfile {
  const { profile, problems } = readFederationProfile((name) => read.optional(name))
  read.problems.push(...problems)
  return profile
}

/** The staging area and the guards that keep a slow publisher from holding what others need. */
function readPublicationGuards(read: Reader, poolMax: number) {
  const maxConcurrentCommits = read.integer(
    'PUBLICATION_MAX_CONCURRENT_COMMITS',
    Math.max(1, Math.floor(poolMax / 2)),
    1,
    1_000,
  )
  if (poolMax > 1 && maxConcurrentCommits >= poolMax) {
    read.problems.push(
      'PUBLICATION_MAX_CONCURRENT_COMMITS must be below DB_POOL_MAX (reads need connections too)',
    )
  }
  return {
    stagingDir: read.string('PUBLICATION_STAGING_DIR', join(tmpdir(), 'ebox-publication-staging')),
    stagingMaxBytes: read.integer('PUBLICATION_STAGING_MAX_BYTES', 2 * 1024 ** 3, 1024, 2 ** 50),
    stagingMemoryFileBytes: read.integer('PUBLICATION_STAGING_MEMORY_FILE_BYTES', 2 * 1024 ** 2, 0, 2 ** 30),
    stagingMemoryMaxBytes: read.integer('PUBLICATION_STAGING_MEMORY_MAX_BYTES', 64 * 1024 ** 2, 0, 2 ** 40),
    maxConcurrentPerClient: read.integer('PUBLICATION_MAX_CONCURRENT_PER_CLIENT', 4, 1, 1_000),
    maxConcurrentCommits,
    minBytesPerSecond: read.integer('PUBLICATION_MIN_BYTES_PER_SECOND', 1_024, 0, 2 ** 30),
    minRateWindowSeconds: read.integer('PUBLICATION_MIN_RATE_WINDOW_SECONDS', 10, 1, 600),
  }
}

function readOAuth(
  read: Reader,
  defaults: EnvironmentDefaults | undefined,
  algorithms: string[],
): Omit<OAuthConfig, 'citizenSsinClaim'> {
  const mode = read.oneOf('OAUTH_MODE', ['jwt', 'introspection'] as const, 'jwt')
  const jwt = mode === 'jwt'
  const introspection = mode === 'introspection'
  const partitionServiceWanted = Boolean(
    read.optional('PARTITION_SERVICE_URL') ||
      defaults?.partitionServiceUrl ||
      read.optional('EBOX_PREFERENCES_URL'),
  )
  const client = readClient(read, introspection ? 'with OAUTH_MODE=introspection' : undefined)
  // ACC and PRD check `iss` and `aud` in both modes (issue 23, finding 4): a token minted for another resource
  // server must not pass because its introspection answer is `active`.
  const federated = defaults !== undefined
  return {
    mode,
    issuer: jwt || federated ? read.string('OAUTH_ISSUER') : read.optional('OAUTH_ISSUER'),
    audience: jwt || federated ? read.string('OAUTH_AUDIENCE') : read.optional('OAUTH_AUDIENCE'),
    // Required in jwt mode (the default), unused in introspection mode.
    jwksUrl: read.optionalUrl('OAUTH_JWKS_URL', undefined, jwt, ''),
    algorithms,
    clockToleranceSeconds: read.integer('OAUTH_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
    maxTokenLifetimeSeconds: read.integer('OAUTH_MAX_TOKEN_LIFETIME_SECONDS', 86_400, 60, 604_800),
    requireAccessTokenType: read.boolean('OAUTH_REQUIRE_AT_JWT', true),
    jwksCooldownSeconds: read.integer('OAUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3_600),
    tokenUrl: readTokenUrl(
      read,
      defaults,
      introspection || (partitionServiceWanted && client !== undefined)
        ? 'with OAUTH_MODE=introspection, a Partition service or e-Box Preferences'
        : undefined,
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
    portalClientIds: read.list('OAUTH_PORTAL_CLIENT_IDS', []),
  }
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
