import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { migrationsAreCurrent } from '../db/migrate.ts'
import { createPool, ping } from '../db/pool.ts'

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
})

/**
 * Liveness says the process answers; readiness says it can serve: the database answers and is migrated.
 * Readiness asks on a connection of its own (`databaseUrl`), so a pool busy serving requests is not reported
 * as a database that is down (which would get the pod pulled exactly when it is loaded).
 */
export default async function healthRoutes(app: FastifyInstance, options: { databaseUrl?: string } = {}) {
  let migrated = false
  const probe = options.databaseUrl
    ? createPool({
        connectionString: options.databaseUrl,
        max: 1,
        statementTimeoutMs: 2_000,
        applicationName: 'ebox-registry-health',
      })
    : app.pool
  if (probe !== app.pool) app.addHook('onClose', () => probe.end())

  app.get(
    '/health/live',
    { config: { public: true }, schema: { hide: true, response: { 200: Health } } },
    async () => ({
      status: 'ok',
    }),
  )

  app.get(
    '/health/ready',
    { config: { public: true }, schema: { hide: true, response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const checks: Record<string, string> = {}
      try {
        await ping(probe)
        checks.database = 'ok'
        migrated ||= await migrationsAreCurrent(probe)
        checks.migrations = migrated ? 'ok' : 'pending'
      } catch {
        checks.database = 'unreachable'
      }
      const ready = checks.database === 'ok' && migrated
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks })
    },
  )
}
