import { setTimeout as sleep } from 'node:timers/promises'
import { memoryOf } from '@ebox/bench'
import { Recorder, runMixedLoad } from './load.ts'
import type { ChaosSystem } from './system.ts'

export interface SoakWindow {
  atSeconds: number
  rssBytes: number
  eventLoopP99Ms: number
  databaseConnections: number
  handles: number
  p50Ms: number
  p99Ms: number
}

export interface SoakResult {
  durationSeconds: number
  load: string
  requests: number
  counts: Record<string, number>
  windows: SoakWindow[]
  checks: SoakCheck[]
  /** `flat` when every figure of the last part of the run stayed within its bound of the first part. */
  verdict: 'flat' | 'not flat'
  passed: boolean
}

export interface SoakCheck {
  name: string
  held: boolean
  detail: string
}

/** A metric's value from Prometheus text (the first series of that name). */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
  return Number(line?.split(' ').pop() ?? Number.NaN)
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

const median = (values: number[]) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/**
 * Whether the run stayed flat: the median of each figure over the last third of the windows against its median
 * over the first third (the first window left out: warm-up, caches filling). A leak shows as growth between the
 * two parts, a single slow window does not. Bounds: RSS +20 % + 16 MiB, open handles +50 % + 5, event-loop delay
 * p99 and latency p99 ×2 + 20 ms; database connections never above the pools (registry 10, workers 2 × 4).
 */
export function flatness(windows: SoakWindow[]): SoakCheck[] {
  const steady = windows.length > 3 ? windows.slice(1) : windows
  const third = Math.max(1, Math.floor(steady.length / 3))
  const first = steady.slice(0, third)
  const last = steady.slice(-third)
  const compare = (
    name: string,
    figure: (w: SoakWindow) => number,
    bound: (before: number) => number,
    show: (value: number) => string,
  ): SoakCheck => {
    const before = median(first.map(figure))
    const after = median(last.map(figure))
    return {
      name,
      held: after <= bound(before),
      detail: `${show(before)} → ${show(after)} (bound ${show(bound(before))})`,
    }
  }
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`
  const ms = (value: number) => `${value.toFixed(1)} ms`
  const maxConnections = Math.max(...windows.map((w) => w.databaseConnections))
  return [
    compare(
      'RSS flat',
      (w) => w.rssBytes,
      (b) => b * 1.2 + 16 * 1048576,
      mib,
    ),
    compare(
      'open handles flat',
      (w) => w.handles,
      (b) => b * 1.5 + 5,
      (n) => n.toFixed(0),
    ),
    compare(
      'event-loop delay p99 flat',
      (w) => w.eventLoopP99Ms,
      (b) => b * 2 + 20,
      ms,
    ),
    compare(
      'latency p99 flat',
      (w) => w.p99Ms,
      (b) => b * 2 + 20,
      ms,
    ),
    {
      name: 'database connections bounded by the pools',
      held: maxConnections <= 10 + 2 * 4,
      detail: `max ${maxConnections} (registry pool 10, workers 2 × 4)`,
    },
  ]
}

/**
 * A steady mixed load for `durationSeconds`, sampled in 12 windows: the registry's RSS (/proc), event-loop delay
 * p99 (its /metrics), PostgreSQL connections (through the relay), open handles and latency; `flatness` compares
 * the first and last parts of the run.
 */
export async function runSoak(
  system: ChaosSystem,
  options: { durationSeconds: number; log: (line: string) => void },
): Promise<SoakResult> {
  const windowSeconds = Math.max(5, Math.round(options.durationSeconds / 12))
  const load = { publishers: 1, readers: 2, humans: 1, paceMs: 50 }
  const recorder = new Recorder()
  const stop = new AbortController()
  const running = runMixedLoad(recorder, system.target, { ...load, signal: stop.signal, recoveryMs: 30_000 })
  const windows: SoakWindow[] = []
  const started = Date.now()
  let from = 0
  while (Date.now() - started < options.durationSeconds * 1000) {
    await sleep(windowSeconds * 1000)
    const metrics = await (await fetch(system.metricsUrl)).text()
    const latencies = recorder.samples
      .slice(from)
      .map((s) => s.ms)
      .sort((a, b) => a - b)
    from = recorder.samples.length
    const window: SoakWindow = {
      atSeconds: Math.round((Date.now() - started) / 1000),
      rssBytes: (await memoryOf(system.registry.pid)).rssBytes,
      eventLoopP99Ms: metric(metrics, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      databaseConnections: system.relay.open,
      handles: metric(metrics, 'nodejs_active_handles_total'),
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
    }
    windows.push(window)
    options.log(
      `  soak ${window.atSeconds} s: rss ${(window.rssBytes / 1048576).toFixed(0)} MiB, loop p99 ${window.eventLoopP99Ms.toFixed(1)} ms, db ${window.databaseConnections}, p99 ${window.p99Ms.toFixed(1)} ms`,
    )
  }
  stop.abort()
  await running
  const counts: Record<string, number> = {}
  for (const sample of recorder.samples)
    counts[String(sample.status)] = (counts[String(sample.status)] ?? 0) + 1
  const bad = recorder.samples.filter((s) => typeof s.status !== 'number' || s.status >= 500).length
  const trend = flatness(windows)
  const checks = [
    ...trend,
    { name: 'no error answer', held: bad === 0, detail: `${bad} of ${recorder.samples.length}` },
  ]
  return {
    durationSeconds: options.durationSeconds,
    load: `${load.publishers} publisher + ${load.readers} readers + ${load.humans} portal user, ${load.paceMs} ms pause`,
    requests: recorder.samples.length,
    counts,
    windows,
    checks,
    verdict: trend.every((c) => c.held) ? 'flat' : 'not flat',
    passed: checks.every((c) => c.held),
  }
}
