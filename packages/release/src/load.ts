/** After a rollout: wait until the service answers ready, then a short load check against the policy's limits. */
import type { LoadCheckReport, Policy } from './schemas.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once `url` answered 2xx `successes` times in a row; throws when `timeoutMs` passes first. */
export async function waitReady(
  url: string,
  {
    timeoutMs,
    intervalMs = 5_000,
    successes = 3,
  }: { timeoutMs: number; intervalMs?: number; successes?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let streak = 0
  let last = 'no answer yet'
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(10_000, intervalMs * 2)) })
      await response.body?.cancel()
      last = `HTTP ${response.status}`
      streak = response.ok ? streak + 1 : 0
    } catch (error) {
      last = error instanceof Error ? error.message : String(error)
      streak = 0
    }
    if (streak >= successes) return
    await sleep(intervalMs)
  }
  throw new Error(`${url} was not ready within ${Math.round(timeoutMs / 1000)} s (last: ${last})`)
}

export function percentile(values: number[], fraction: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? 0
}

/** `connections` workers request the paths in turn for the duration; a non-2xx answer counts as an error. */
export async function loadCheck(baseUrl: string, limits: Policy['loadCheck']): Promise<LoadCheckReport> {
  const deadline = Date.now() + limits.durationSeconds * 1000
  const latencies: number[] = []
  let errors = 0
  const worker = async (offset: number): Promise<void> => {
    for (let index = offset; Date.now() < deadline; index++) {
      const path = limits.paths[index % limits.paths.length] ?? '/'
      const started = performance.now()
      try {
        const response = await fetch(new URL(path, baseUrl), { signal: AbortSignal.timeout(10_000) })
        await response.arrayBuffer()
        if (!response.ok) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - started)
    }
  }
  await Promise.all(Array.from({ length: limits.connections }, (_, index) => worker(index)))
  const requests = latencies.length
  const p95Ms = Math.round(percentile(latencies, 0.95) * 10) / 10
  const errorRate = requests === 0 ? 1 : errors / requests
  return {
    passed: requests > 0 && errorRate <= limits.maxErrorRate && p95Ms <= limits.maxP95Ms,
    requests,
    errors,
    p95Ms,
    maxErrorRate: limits.maxErrorRate,
    maxP95Ms: limits.maxP95Ms,
  }
}
