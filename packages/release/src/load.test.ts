import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCheck, percentile, waitReady } from './load.ts'

let server: Server
let base: string
let readyAfter = 0
let calls = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/health/ready') {
      calls++
      response.statusCode = calls > readyAfter ? 200 : 503
    } else response.statusCode = request.url === '/broken' ? 500 : 200
    response.end('{}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const limits = { paths: ['/ok'], durationSeconds: 1, connections: 2, maxErrorRate: 0.01, maxP95Ms: 1000 }

describe('waiting for the rollout', () => {
  it('returns after three answers in a row once the service is ready', async () => {
    calls = 0
    readyAfter = 2
    await waitReady(`${base}/health/ready`, { timeoutMs: 5_000, intervalMs: 10 })
    expect(calls).toBe(5)
  })

  it('gives up with the last answer', async () => {
    calls = 0
    readyAfter = 1_000_000
    // A second, not 100 ms: with other test files busy (the board's browser test) the first answer can be slow.
    await expect(waitReady(`${base}/health/ready`, { timeoutMs: 1_000, intervalMs: 10 })).rejects.toThrow(
      /not ready within 1 s \(last: HTTP 503\)/,
    )
  })
})

describe('the load check', () => {
  it('passes a service that answers', async () => {
    const report = await loadCheck(base, limits)
    expect(report.passed).toBe(true)
    expect(report.requests).toBeGreaterThan(10)
    expect(report.errors).toBe(0)
  })

  it('fails a service that errors, or that nothing answers', async () => {
    const broken = await loadCheck(base, { ...limits, paths: ['/ok', '/broken'] })
    expect(broken.passed).toBe(false)
    expect(broken.errors).toBeGreaterThan(0)
    const closed = await loadCheck('http://127.0.0.1:9', { ...limits, durationSeconds: 1 })
    expect(closed.passed).toBe(false)
  })

  it('fails when slower than the p95 limit', async () => {
    expect((await loadCheck(base, { ...limits, maxP95Ms: 0 })).passed).toBe(false)
  })

  it('takes the nearest-rank percentile', () => {
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.95)).toBe(10)
    expect(percentile([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], 0.5)).toBe(5)
    expect(percentile([], 0.95)).toBe(0)
  })
})
