import { Agent, request as httpRequest } from 'node:http'
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
  /** Statuses that count as success (default 200). */
  expect?: number[]
}

/** What one measurement gives, whatever ran it (autocannon against HTTP, or the database replay). */
export interface Measurement {
  requests: number
  requestsPerSecond: number
  latencyMs: { p50: number; p95: number; p99: number; max: number }
  errors: number
  /** The statuses counted as errors, by status (0: no response): what went wrong, not just how often. */
  unexpectedStatuses?: Record<string, number>
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
  const unexpectedStatuses: Record<string, number> = {}
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds,
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
      if (!expect.has(statusCode)) {
        unexpected++
        unexpectedStatuses[statusCode] = (unexpectedStatuses[statusCode] ?? 0) + 1
      }
    })
  })
  const seconds = result.duration || options.durationSeconds
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: percentiles(latencies),
    errors: result.errors + result.timeouts + unexpected,
    ...(unexpected > 0 && { unexpectedStatuses }),
    bytesPerSecond: result.throughput.total / seconds,
  }
}

/** One keep-alive HTTP request whose body is counted and discarded; resolves with its status (0 on error). */
function sendCounting(
  url: string,
  request: LoadRequest,
  agent: Agent,
  onBytes: (count: number) => void,
): Promise<number> {
  return new Promise<number>((resolve) => {
    const req = httpRequest(
      `${url}${request.path}`,
      { method: request.method, headers: request.headers ?? {}, agent, timeout: 60_000 },
      (response) => {
        response.on('data', (chunk: Buffer) => onBytes(chunk.length))
        response.on('end', () => resolve(response.statusCode ?? 0))
        response.on('error', () => resolve(0))
      },
    )
    req.on('error', () => resolve(0))
    if (request.body !== undefined) req.end(request.body)
    else req.end()
  })
}

/** The measurement of a load run from its latencies, error count, bytes and duration. */
function measurement(latencies: number[], errors: number, bytes: number, started: number): Measurement {
  const seconds = (performance.now() - started) / 1000
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: percentiles(latencies),
    errors,
    bytesPerSecond: bytes / seconds,
  }
}

/**
 * Downloads: `connections` keep-alive loops of GET that count and discard the body. autocannon appends every body
 * chunk to a string (utf8 decoding of incompressible bytes was a third of its CPU at 64 MB/s, and it was the
 * bottleneck), so large binary responses are measured with this client instead.
 */
export async function runDownloadLoad(options: LoadOptions): Promise<Measurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const expect = new Set(options.expect ?? [200])
  const latencies: number[] = []
  let errors = 0
  let bytes = 0
  const started = performance.now()
  const deadline = started + options.durationSeconds * 1000
  await Promise.all(
    Array.from({ length: options.connections }, async (_, lane) => {
      for (let n = lane; performance.now() < deadline; n++) {
        const t0 = performance.now()
        const status = await sendCounting(
          options.url,
          options.requests[n % options.requests.length]!,
          agent,
          (count) => {
            bytes += count
          },
        )
        if (expect.has(status)) latencies.push(performance.now() - t0)
        else errors++
      }
    }),
  )
  agent.destroy()
  return measurement(latencies, errors, bytes, started)
}

/**
 * A fixed arrival rate (open loop, as wrk2 does): request n is due at start + n / overallRate, sent then over one of
 * at most `connections` keep-alive sockets (queued in the agent when all are busy), and its latency counts from
 * when it was due, so a slow answer delays the measurement of those queued behind it instead of hiding them.
 * autocannon's rate option sends each connection's share of a second back to back at the start of the second —
 * bursts of `overallRate` requests, not a rate.
 */
export async function runPacedLoad(options: LoadOptions, overallRate: number): Promise<Measurement> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  const expect = new Set(options.expect ?? [200])
  const interval = 1000 / overallRate
  const total = Math.round(options.durationSeconds * overallRate)
  const latencies: number[] = []
  const pending: Promise<void>[] = []
  let errors = 0
  let bytes = 0
  const started = performance.now()
  for (let n = 0; n < total; n++) {
    const due = started + n * interval
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const request = options.requests[n % options.requests.length]!
    pending.push(
      sendCounting(options.url, request, agent, (count) => {
        bytes += count
      }).then((status) => {
        if (expect.has(status)) latencies.push(performance.now() - due)
        else errors++
      }),
    )
  }
  await Promise.all(pending)
  agent.destroy()
  return measurement(latencies, errors, bytes, started)
}
