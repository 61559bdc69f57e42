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
  checks: { name: string; held: boolean; detail: string }[]
  passed: boolean
}

/** A metric's value from Prometheus text (the first series of that name). */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
  return Number(line?.split(' ').pop() ?? Number.NaN)
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/**
 * A steady mixed load for `durationSeconds`, sampled in `windows` windows: the registry's RSS (/proc), event-loop
 * delay p99 (its /metrics), PostgreSQL connections (through the relay), open handles and latency. "Flat" = the
 * last window within bounds of the first (after warm-up): RSS +50 % / +32 MiB, p99 latency ×3 + 20 ms.
 */
export async function runSoak(
  system: ChaosSystem,
  options: { durationSeconds: number; log: (line: string) => void },
): Promise<SoakResult> {
  const windowSeconds = Math.max(5, Math.round(options.durationSeconds / 12))
  const load = { publishers: 1, readers: 2, paceMs: 50 }
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
  const first = windows[Math.min(1, windows.length - 1)]!
  const last = windows[windows.length - 1]!
  const bad = recorder.samples.filter((s) => typeof s.status !== 'number' || s.status >= 500).length
  const checks = [
    {
      name: 'RSS flat',
      held: last.rssBytes <= first.rssBytes * 1.5 + 32 * 1048576,
      detail: `${(first.rssBytes / 1048576).toFixed(0)} → ${(last.rssBytes / 1048576).toFixed(0)} MiB`,
    },
    {
      name: 'p99 latency flat',
      held: last.p99Ms <= first.p99Ms * 3 + 20,
      detail: `${first.p99Ms.toFixed(1)} → ${last.p99Ms.toFixed(1)} ms`,
    },
    {
      name: 'database connections bounded by the pools',
      held: windows.every((w) => w.databaseConnections <= 10 + 2 * 4),
      detail: `max ${Math.max(...windows.map((w) => w.databaseConnections))} (registry pool 10, workers 2 × 4)`,
    },
    { name: 'no error answer', held: bad === 0, detail: `${bad} of ${recorder.samples.length}` },
  ]
  return {
    durationSeconds: options.durationSeconds,
    load: `${load.publishers} publisher + ${load.readers} readers, ${load.paceMs} ms pause`,
    requests: recorder.samples.length,
    counts,
    windows,
    checks,
    passed: checks.every((c) => c.held),
  }
}
