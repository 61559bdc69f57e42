import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp } from './app.ts'
import { createVerifier } from './auth/create-verifier.ts'
import type { Config } from './config.ts'
import { createPool } from './db/pool.ts'
import { type MetricsServer, startMetricsServer } from './metrics/prometheus.ts'

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
  // Asynchronous stdout: lines written while a write is in flight go out together in the next one, instead of
  // one blocking write per line (issue 10). pino flushes it when the process exits.
  const logStream = pino.destination({ dest: 1, sync: false })
  const app = await buildApp({
    config,
    pool,
    verifier: createVerifier(config.oauth),
    logger: { level: config.logLevel, stream: logStream },
  })
  let metricsServer: MetricsServer | undefined
  app.addHook('onClose', async () => {
    await metricsServer?.close()
    await pool.end()
    await options.onClose?.()
    // Best effort: a closed stdout must not turn a clean shutdown into a failed one.
    try {
      logStream.flushSync()
    } catch {}
  })

  closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })

  await app.listen({ host: config.host, port: config.port })
  metricsServer = await startMetricsServer(app.metrics.registry, {
    host: config.host,
    port: config.metrics.port,
  })
  app.log.info({ url: `${metricsServer.url}/metrics` }, 'metrics listening')
  return app
}
