import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { createVerifier } from './auth/create-verifier.ts'
import type { Config } from './config.ts'
import { createPool } from './db/pool.ts'

/**
 * Starts the registry and wires graceful shutdown: on SIGTERM/SIGINT it stops accepting connections, lets
 * in-flight requests finish (at most SHUTDOWN_GRACE_MS), then closes the pool.
 */
export async function serve(config: Config, options: { onClose?: () => Promise<void> } = {}) {
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
    onError: (error) => app.log.error({ err: error }, 'idle database client failed'),
  })
  const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth) })
  app.addHook('onClose', async () => {
    await pool.end()
    await options.onClose?.()
  })

  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  await app.listen({ host: config.host, port: config.port })
  return app
}
