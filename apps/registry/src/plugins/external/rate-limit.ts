import { RegistryError } from '@ebox/contract'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { HttpConfig } from '../../config.ts'

/** Routes outside every limit: the orchestrator's probes. */
const UNLIMITED = new Set(['/health/live', '/health/ready'])

/**
 * The rate limit per client IP (issues 4, 16, 23), before authentication, so floods of bad tokens never reach the
 * authorisation server or the database; counted in this process (SECURITY.md: why it stays local). The limits
 * per caller, after authentication, are the app's own (plugins/app/caller-rate-limit.ts). Register before the
 * auth plugin: hooks run in registration order. Exceeding the limit answers 429 TOO_MANY_REQUESTS with
 * Retry-After.
 */
export default fp(
  async function ipRateLimit(app: FastifyInstance, options: { rateLimit: HttpConfig['rateLimit'] }) {
    // Used for its counters only (createRateLimit); the hook decides where they apply and answers 429 itself.
    await app.register(rateLimit, { global: false })
    const perIp = app.createRateLimit({
      max: options.rateLimit.perIp,
      timeWindow: options.rateLimit.windowSeconds * 1000,
      keyGenerator: (request) => `ip:${request.ip}`,
    })
    app.addHook('onRequest', async (request) => {
      if (UNLIMITED.has(request.url.split('?')[0] ?? '')) return
      const result = await perIp(request)
      if (result.isAllowed || !result.isExceeded) return
      throw new RegistryError('TOO_MANY_REQUESTS', undefined, {
        headers: { 'retry-after': String(Math.max(1, result.ttlInSeconds)) },
      })
    })
  },
  { name: 'ip-rate-limit' },
)
