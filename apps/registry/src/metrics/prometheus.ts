import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type pg from 'pg'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

/**
 * Prometheus plumbing shared by both processes, without Fastify: the registry with process metrics, pool
 * saturation, and the small HTTP server that serves them (the API's plugins/app/metrics.ts, the worker's metrics.ts).
 */

/** A registry with the process metrics (CPU, memory, event loop lag, GC) every process of the image exports. */
export function createRegistry(process: 'registry' | 'worker'): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ process })
  collectDefaultMetrics({ register: registry })
  return registry
}

/** Pool saturation: connections in use and waiting callers against the pool's maximum, read at scrape time. */
export function registerPoolMetrics(registry: Registry, pool: pg.Pool, max: number) {
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database connections of the pool, by state (in_use, idle, waiting = callers queued for one).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount)
      this.set({ state: 'idle' }, pool.idleCount)
      this.set({ state: 'waiting' }, pool.waitingCount)
    },
  })
  new Gauge({
    name: 'db_pool_max_connections',
    help: 'The pool size (DB_POOL_MAX).',
    registers: [registry],
  }).set(max)
}

export interface MetricsServer {
  url: string
  close(): Promise<void>
}

/**
 * `GET /metrics` (Prometheus text format) and `GET /health/live` on a port of their own, so that scraping needs no
 * token and the API port never shows them. With `ready`, also `GET /health/ready` (200 or 503 with the checks).
 * `registry` undefined: health only (the worker's probe port).
 */
export async function startMetricsServer(
  registry: Registry | undefined,
  options: {
    host: string
    port: number
    ready?: () => Promise<{ ok: boolean; checks: Record<string, string> }>
  },
): Promise<MetricsServer> {
  const json = (response: ServerResponse, status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end()
    } else if (path === '/metrics' && registry) {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      )
    } else if (path === '/health/live') {
      json(response, 200, { status: 'ok' })
    } else if (path === '/health/ready' && options.ready) {
      options.ready().then(
        ({ ok, checks }) => json(response, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', checks }),
        () => json(response, 503, { status: 'unavailable' }),
      )
    } else {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
