import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MetricsServer, startMetricsServer } from '../src/metrics/prometheus.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
let metrics: MetricsServer

beforeAll(async () => {
  registry = await startTestRegistry()
  registry.app.get('/test/messages/:id', { config: { operation: 'readMessage' } }, async () => ({ ok: true }))
  await registry.app.ready()
  metrics = await startMetricsServer(registry.app.metrics.registry, { host: '127.0.0.1', port: 0 })
})
afterAll(async () => {
  await metrics.close()
  await registry.close()
})

describe('/metrics of the API process', () => {
  it('is served in Prometheus format on its own port, not on the API', async () => {
    const token = await registry.token({ scopes: [SCOPES.documentConsumer] })
    for (const id of ['a', 'b']) {
      await registry.app.inject({
        url: `/test/messages/${id}`,
        headers: { authorization: `Bearer ${token}` },
      })
    }
    await registry.app.inject('/no/such/route')

    const response = await fetch(`${metrics.url}/metrics`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    const text = await response.text()
    // Latency per route template, never per raw URL.
    const count = text
      .split('\n')
      .find(
        (line) =>
          line.startsWith('http_request_duration_seconds_count') &&
          line.includes('route="/test/messages/:id"'),
      )
    expect(count).toContain('status_code="200"')
    expect(count).toMatch(/ 2$/)
    expect(text).toContain('route="unmatched"')
    expect(text).not.toContain('/test/messages/a')
    expect(text).toMatch(/db_pool_connections\{state="waiting".*\} \d+/)
    expect(text).toMatch(/db_pool_max_connections\{.*\} 10/)
    expect(text).toMatch(/audit_write_failures_total\{.*kind="write".*\} 0/)
    expect(text).toContain('process_cpu_seconds_total')

    expect((await registry.app.inject('/metrics')).statusCode).toBe(404)
    expect((await fetch(`${metrics.url}/health/live`)).status).toBe(200)
    expect((await fetch(`${metrics.url}/other`)).status).toBe(404)
  })
})
