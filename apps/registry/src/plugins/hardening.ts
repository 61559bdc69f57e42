import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type DeploymentEnvironment, RegistryError, toStatusMessage } from '@ebox/contract'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import helmet from 'helmet'
import type { Principal } from '../auth/principal.ts'
import type { HttpConfig } from '../config.ts'
import { API_METHODS } from '../http-methods.ts'
import { refuseTokensInQuery } from './query-secrets.ts'
import { SharedRateLimiter } from './shared-rate-limit.ts'

/** Headers a browser client (the e-Box portal) may send and read. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Accept-Language',
  'If-None-Match',
  'Idempotency-Key',
  'On-Behalf-Of-Enterprise-Number',
  'X-Correlation-Id',
]
const EXPOSED_HEADERS = [
  'X-Correlation-Id',
  'ETag',
  'Content-Disposition',
  'Location',
  'Retry-After',
  'WWW-Authenticate',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
]

/**
 * Helmet's headers for an API: nothing to render, nothing to frame; the portal (another origin) reads our
 * responses through CORS and shows our images. They are the same for every response, so helmet runs once here
 * (its Fastify plugin rebuilds the middleware on every request).
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = headersSetBy(
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  }),
)

/** The headers a connect-style middleware sets on a response (its changes to an empty header set). */
function headersSetBy(
  middleware: (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void,
): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader: (name: string, value: string | number) => {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()]
    },
  }
  middleware({} as IncomingMessage, response as unknown as ServerResponse, (error) => {
    if (error) throw error
  })
  return headers
}

/** Routes outside every limit: the orchestrator's probes. */
const UNLIMITED = new Set(['/health/live', '/health/ready'])

/**
 * Security headers, CORS for the configured origins only, and the rate limits (brief §3.5, issues 4, 16, 23):
 * - per client IP, before authentication, so floods of bad tokens never reach the authorisation server or the
 *   database; counted in this process (SECURITY.md: why it stays local);
 * - after authentication, per caller (client id + e-Box + user for portal users), and a larger ceiling per client
 *   id; shared by every replica through PostgreSQL (shared-rate-limit.ts), failing open to local counters.
 * Register before the auth plugin: hooks run in registration order. Exceeding a limit answers 429
 * TOO_MANY_REQUESTS with Retry-After.
 */
export default fp(
  async function hardening(app: FastifyInstance, options: HttpConfig & { databaseUrl: string }) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS)
      done()
    })
    app.addHook('onRequest', refuseTokensInQuery)
    await app.register(cors, {
      origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
      methods: [...API_METHODS],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
      strictPreflight: true,
    })

    // Used for its counters only (createRateLimit); our hooks decide where they apply and answer 429 themselves.
    await app.register(rateLimit, { global: false })
    const timeWindow = options.rateLimit.windowSeconds * 1000
    const perIp = app.createRateLimit({
      max: options.rateLimit.perIp,
      timeWindow,
      keyGenerator: (request) => `ip:${request.ip}`,
    })
    const shared = new SharedRateLimiter(options.databaseUrl, options.rateLimit.windowSeconds, app.log)
    app.addHook('onClose', async () => shared.close())

    const enforce = async (
      request: FastifyRequest,
      limiter: typeof perIp,
      reply: { header(name: string, value: string | number): unknown },
      exposeCounters: boolean,
    ) => {
      const result = await limiter(request)
      if (result.isAllowed) return
      if (exposeCounters) {
        reply.header('x-ratelimit-limit', result.max)
        reply.header('x-ratelimit-remaining', result.remaining)
        reply.header('x-ratelimit-reset', result.ttlInSeconds)
      }
      if (result.isExceeded) {
        throw new RegistryError('TOO_MANY_REQUESTS', undefined, {
          headers: { 'retry-after': String(Math.max(1, result.ttlInSeconds)) },
        })
      }
    }

    app.addHook('onRequest', async (request, reply) => {
      if (UNLIMITED.has(request.url.split('?')[0] ?? '')) return
      await enforce(request, perIp, reply, false)
    })
    // Right after authentication (onRequest), before the body is read or validated: every request counts.
    app.addHook('preParsing', async (request, reply) => {
      const principal = request.principal
      if (!principal) return
      const client = clientKey(principal)
      const decision = await shared.hit([
        { key: `caller:${callerKey(client, principal)}`, max: options.rateLimit.perCaller },
        { key: `client:${client}`, max: options.rateLimit.perClient },
      ])
      reply.header('x-ratelimit-limit', decision.limit)
      reply.header('x-ratelimit-remaining', decision.remaining)
      reply.header('x-ratelimit-reset', decision.resetSeconds)
      if (!decision.allowed) {
        throw new RegistryError('TOO_MANY_REQUESTS', undefined, {
          headers: { 'retry-after': String(decision.resetSeconds) },
        })
      }
    })
  },
  { name: 'hardening', dependencies: ['errors'] },
)

/** The client a limit counts for: its client id (a hash of the token when it has none). */
function clientKey(principal: Principal): string {
  return principal.clientId !== 'unknown' ? principal.clientId : `token:${principal.tokenHash.slice(0, 32)}`
}

/** Who is served: the client, the e-Box it acts for, and the person for portal users. */
function callerKey(client: string, principal: Principal): string {
  const ebox = principal.ebox ? `${principal.ebox.eboxType}:${principal.ebox.id}` : '-'
  return `${client}|${ebox}|${principal.userSsin ?? '-'}`
}

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a path parameter over
 * `maxParamLength`): Fastify would answer them with its own body echoing the whole path. Answer with a
 * StatusMessage that names nothing of the request instead. Pass as the `frameworkErrors` server option.
 */
export function frameworkErrors(environment: DeploymentEnvironment): FastifyServerOptions['frameworkErrors'] {
  return (error: Error & { statusCode?: number }, _request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode === 414 ? 414 : 400
    const code = status === 414 ? 'URI_TOO_LONG' : 'INVALID_INPUT'
    const body = toStatusMessage(randomUUID(), code, environment, 'The request URL is not valid.')
    reply.code(status).type('application/json; charset=utf-8').send(body)
  }
}
