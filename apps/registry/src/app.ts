import { randomUUID } from 'node:crypto'
import { operationScopes } from '@ebox/contract'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyServerOptions, LogController } from 'fastify'
import type { TokenVerifier } from './auth/verifier.ts'
import type { Config } from './config.ts'
import { type ContentStore, createContentStore } from './content/store.ts'
import type { Pool } from './db/pool.ts'
import { type RecipientDirectory, recipientDirectoryFromConfig } from './federation/ebox-preferences.ts'
import type { PartitionService } from './federation/partition-service.ts'
import { partitionServiceFromConfig } from './federation/partition-service-client.ts'
import auditPlugin from './plugins/app/audit.ts'
import auditContext from './plugins/app/audit-context.ts'
import authPlugin, { closedByDefault } from './plugins/app/auth.ts'
import callerRateLimitPlugin from './plugins/app/caller-rate-limit.ts'
import { contentStorePlugin } from './plugins/app/content-store.ts'
import databasePlugin from './plugins/app/database.ts'
import errorsPlugin, { frameworkErrors } from './plugins/app/errors.ts'
import inputFilterPlugin, { clientErrorHandler } from './plugins/app/input-filter.ts'
import lingeringClosePlugin from './plugins/app/lingering-close.ts'
import metricsPlugin from './plugins/app/metrics.ts'
import partitionsPlugin from './plugins/app/partitions.ts'
import publicUrlPlugin from './plugins/app/public-url.ts'
import publicationPlugin from './plugins/app/publication.ts'
import querySecretsPlugin, { accessLogRequest } from './plugins/app/query-secrets.ts'
import referenceDataCachePlugin from './plugins/app/reference-data-cache.ts'
import corsPlugin from './plugins/external/cors.ts'
import openapiPlugin from './plugins/external/openapi.ts'
import ipRateLimitPlugin from './plugins/external/rate-limit.ts'
import securityHeadersPlugin from './plugins/external/security-headers.ts'
import certificationRoutes from './routes/certification.ts'
import consultationRoutes from './routes/consultation.ts'
import eventNotificationsRoutes from './routes/event-notifications.ts'
import healthRoutes from './routes/health.ts'
import notImplementedRoutes from './routes/not-implemented.ts'
import publicationRoutes from './routes/publication.ts'
import referenceDataRoutes from './routes/reference-data.ts'

export interface AppDependencies {
  config: Config
  pool: Pool
  verifier: TokenVerifier
  /** Default: the one PARTITION_SERVICE_URL names, with its cache. */
  partitionService?: PartitionService
  /** Default: the e-Box Preferences EBOX_PREFERENCES_URL names, with its cache. */
  recipients?: RecipientDirectory
  /** Default: the one CONTENT_STORE and S3_* name. */
  contentStore?: ContentStore
  logger?: FastifyServerOptions['logger']
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Builds the Message Registry: plugins first, then routes. Starting to listen is the caller's business. */
export async function buildApp({
  config,
  pool,
  verifier,
  partitionService,
  recipients,
  contentStore,
  logger,
}: AppDependencies) {
  const federationPartitions = partitionService ?? partitionServiceFromConfig(config, pool)
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    // One access-log line per request, written on completion (below), instead of Fastify's two. Through the log
    // controller: the top-level disableRequestLogging option is deprecated (FSTDEP023).
    logController: new LogController({ disableRequestLogging: true }),
    // The caller's x-correlation-id becomes the request id (when well-formed), is logged and echoed back.
    genReqId: (request) => {
      const incoming = request.headers['x-correlation-id']
      return typeof incoming === 'string' && CORRELATION_ID.test(incoming) ? incoming : randomUUID()
    },
    bodyLimit: 1024 * 1024,
    connectionTimeout: config.http.idleTimeoutMs,
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    http: { maxHeaderSize: config.http.maxHeaderBytes },
    frameworkErrors: frameworkErrors(config.environment),
    clientErrorHandler: clientErrorHandler(config.environment),
    // X-Forwarded-For is believed for exactly TRUST_PROXY_HOPS proxies (the client IP keys rate limits).
    trustProxy: (_address: string, hop: number) => hop < config.http.trustProxyHops,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-correlation-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: accessLogRequest(request), res: reply, responseTime: reply.elapsedTime },
      'request completed',
    )
  })

  // First: every route registered after it (the external plugins' included) must declare an operation or
  // `public: true`.
  await app.register(closedByDefault)
  // Second: the error and not-found handlers. Fastify binds a route to the error handler in place when the route is
  // registered, so they must exist before any route, the CORS preflight that the external plugins add included.
  await app.register(errorsPlugin, { environment: config.environment })

  // External plugins: third-party Fastify plugins and libraries, configured. Their request hooks run first.
  await app.register(openapiPlugin, { version: config.build.version })
  await app.register(securityHeadersPlugin)
  await app.register(corsPlugin, { corsOrigins: config.http.corsOrigins })
  await app.register(ipRateLimitPlugin, { rateLimit: config.http.rateLimit })

  // App plugins: our own hooks and decorators. Hooks run in registration order: the per-caller limits (preParsing)
  // and scope resolution need the auth plugin's principal; audit writes in onSend, after the handler.
  await app.register(inputFilterPlugin)
  await app.register(lingeringClosePlugin)
  await app.register(auditContext)
  await app.register(metricsPlugin, { pool, poolMax: config.db.poolMax })
  await app.register(auditPlugin, { pool })
  await app.register(querySecretsPlugin)
  await app.register(callerRateLimitPlugin, {
    rateLimit: config.http.rateLimit,
    databaseUrl: config.databaseUrl,
  })
  await app.register(databasePlugin, { pool })
  await app.register(publicUrlPlugin, { publicBaseUrl: config.publicBaseUrl })
  await app.register(partitionsPlugin, { partitionService: federationPartitions })
  await app.register(authPlugin, { verifier, operationScopes: operationScopes(config.federationProfile) })
  await app.register(referenceDataCachePlugin, { databaseUrl: config.databaseUrl })
  await app.register(contentStorePlugin, {
    contentStore: contentStore ?? createContentStore(config.contentStore, pool, config.databaseUrl),
  })
  await app.register(publicationPlugin, {
    pool,
    contentStore: app.contentStore,
    limits: config.publication,
    // A live upload's file is written within HTTP_REQUEST_TIMEOUT_MS and read back by its commit right after:
    // twice that bound leaves the commit as long again.
    stagingStaleAfterMs: 2 * config.http.requestTimeoutMs,
    // Routing rules not yet cached come from a real Partition service only; without one, GENERAL.
    routingRulesSource: partitionService ?? (config.partitionService.url ? federationPartitions : undefined),
    recipients: recipients ?? recipientDirectoryFromConfig(config),
  })

  await app.register(healthRoutes, { databaseUrl: config.databaseUrl })
  await app.register(certificationRoutes, { build: config.build, certification: config.certification })
  await app.register(consultationRoutes)
  await app.register(referenceDataRoutes)
  await app.register(publicationRoutes)
  await app.register(eventNotificationsRoutes, {
    ...config.eventNotifications,
    eventTypes: config.federationProfile.eventTypes,
  })
  await app.register(notImplementedRoutes)

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
