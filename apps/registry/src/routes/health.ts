import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { migrationsAreCurrent } from '../db/migrate.ts'
import { ping } from '../db/pool.ts'

const Health = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
})

/** Liveness says the process answers; readiness says it can serve: the database answers and is migrated. */
export default async function healthRoutes(app: FastifyInstance) {
  let migrated = false

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
        await ping(app.pool)
        checks.database = 'ok'
        migrated ||= await migrationsAreCurrent(app.pool)
        checks.migrations = migrated ? 'ok' : 'pending'
      } catch {
        checks.database = 'unreachable'
      }
      const ready = checks.database === 'ok' && migrated
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks })
    },
  )
}
