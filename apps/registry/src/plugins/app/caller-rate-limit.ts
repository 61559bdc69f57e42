import { RegistryError } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal } from '../../auth/principal.ts'
import type { HttpConfig } from '../../config.ts'
import { SharedRateLimiter } from './shared-rate-limit.ts'

/**
 * The rate limits after authentication (brief §3.5, issues 16 and 23): per caller (client id + e-Box + user for
 * portal users), and a larger ceiling per client id; shared by every replica through PostgreSQL
 * (shared-rate-limit.ts), failing open to local counters. The limit per IP comes first
 * (plugins/external/rate-limit.ts). Exceeding a limit answers 429 TOO_MANY_REQUESTS with Retry-After.
 */
export default fp(
  async function callerRateLimit(
    app: FastifyInstance,
    options: { rateLimit: HttpConfig['rateLimit']; databaseUrl: string },
  ) {
    const { rateLimit } = options
    const shared = new SharedRateLimiter(options.databaseUrl, rateLimit.windowSeconds, app.log)
    app.addHook('onClose', async () => shared.close())

    // Right after authentication (onRequest), before the body is read or validated: every request counts.
    app.addHook('preParsing', async (request, reply) => {
      const principal = request.principal
      if (!principal) return
      const client = clientKey(principal)
      const decision = await shared.hit([
        { key: `caller:${callerKey(client, principal)}`, max: rateLimit.perCaller },
        { key: `client:${client}`, max: rateLimit.perClient },
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
  { name: 'caller-rate-limit' },
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
