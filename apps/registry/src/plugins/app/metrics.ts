import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { Counter, Histogram, type Registry } from 'prom-client'
import { createRegistry, registerPoolMetrics } from '../../metrics/prometheus.ts'

/** The metrics of the API process; the worker has its own registry (src/worker/metrics.ts). */
export interface ServiceMetrics {
  registry: Registry
  /** Audit records that could not be written, by kind of call (`read` answered anyway, `write` failed). */
  auditWriteFailures: Counter<'kind'>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics
  }
}

/**
 * Request latency per route (the route's template, not the raw URL, so the label set stays bounded), pool
 * saturation and audit write failures. Served by `startMetricsServer` on METRICS_PORT, never on the API port.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, options: { pool: pg.Pool; poolMax: number }) {
    const registry = createRegistry('registry')
    registerPoolMetrics(registry, options.pool, options.poolMax)
    const duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from the request to the end of the response, by route template, method and status.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    })
    const auditWriteFailures = new Counter({
      name: 'audit_write_failures_total',
      help: 'Audit records that could not be written (kind=write: the call failed; kind=read: it was answered).',
      labelNames: ['kind'],
      registers: [registry],
    })
    auditWriteFailures.inc({ kind: 'read' }, 0)
    auditWriteFailures.inc({ kind: 'write' }, 0)
    app.decorate('metrics', { registry, auditWriteFailures })

    app.addHook('onResponse', async (request, reply) => {
      duration.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      )
    })
  },
  { name: 'metrics' },
)
