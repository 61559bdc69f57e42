import autocannon from 'autocannon'

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: Buffer | string
}

export interface LoadOptions {
  url: string
  requests: LoadRequest[]
  connections: number
  durationSeconds: number
  /** Requests per second over all connections; unset = as fast as the server answers. */
  overallRate?: number
  /** Statuses that count as success (default 200). */
  expect?: number[]
}

/** What one measurement gives, whatever ran it (autocannon against HTTP, or the database replay). */
export interface Measurement {
  requests: number
  requestsPerSecond: number
  latencyMs: { p50: number; p95: number; p99: number; max: number }
  errors: number
  /** Bytes of response bodies per second (HTTP only). */
  bytesPerSecond?: number
}

/** Percentiles of a set of latencies (nearest rank). */
export function percentiles(latencies: Float64Array | number[]): Measurement['latencyMs'] {
  const sorted = Float64Array.from(latencies).sort()
  const at = (p: number) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  }
}

/**
 * Runs autocannon (programmatic API) on loopback. Each connection cycles through `requests`. Latencies come from
 * autocannon's own per-response timing, collected here so that p95 can be reported (autocannon's summary has none).
 */
export async function runLoad(options: LoadOptions): Promise<Measurement> {
  const latencies: number[] = []
  const expect = new Set(options.expect ?? [200])
  let unexpected = 0
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
        ...(options.overallRate ? { overallRate: options.overallRate } : {}),
        requests: options.requests.map((request) => ({
          method: request.method,
          path: request.path,
          ...(request.headers ? { headers: request.headers } : {}),
          ...(request.body !== undefined ? { body: request.body } : {}),
        })),
        timeout: 60,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime)
      if (!expect.has(statusCode)) unexpected++
    })
  })
  const seconds = result.duration || options.durationSeconds
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: percentiles(latencies),
    errors: result.errors + result.timeouts + unexpected,
    bytesPerSecond: result.throughput.total / seconds,
  }
}
