import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Pool } from '../../db/pool.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The connection pool, for routes to hand to repository functions (the only way it reaches them). */
    pool: Pool
  }
}

/** Makes the pool available to routes (app.pool); the caller owns it and ends it. */
export default fp(
  async function databasePlugin(app: FastifyInstance, options: { pool: Pool }) {
    app.decorate('pool', options.pool)
  },
  { name: 'database' },
)
