import type { ScenarioResult } from './scenarios.ts'
import type { SoakResult } from './soak.ts'

/** RELIABILITY.md-ready tables of one run. */
export function markdownReport(
  results: ScenarioResult[],
  soak: SoakResult | undefined,
  context: { command: string; machine: string; startedAt: string },
): string {
  const lines = [
    `Run of ${context.startedAt}: \`${context.command}\`; ${context.machine}.`,
    '',
    '| Scenario | Injected | Requests | Statuses | Worst latency | Recovery | Result |',
    '|---|---|---:|---|---:|---:|---|',
    ...results.map(
      (r) =>
        `| ${r.id}. ${r.title} | ${r.injected} | ${r.figures.requests} | ${statuses(r.figures.counts)} | ${Math.round(r.figures.worstMs)} ms | ${r.recoveryMs === undefined ? 'none' : `${r.recoveryMs} ms`} | ${r.passed ? 'pass' : '**fail**'} |`,
    ),
    '',
    '| Scenario | Invariant | Held | Detail |',
    '|---|---|---|---|',
    ...results.flatMap((r) =>
      r.invariants.map((i) => `| ${r.id} | ${i.name} | ${i.held ? 'yes' : '**no**'} | ${i.detail} |`),
    ),
  ]
  const notes = results.flatMap((r) => r.notes.map((note) => `- ${r.id}: ${note}`))
  if (notes.length > 0) lines.push('', ...notes)
  if (soak) {
    lines.push(
      '',
      `Soak: ${soak.durationSeconds} s at ${soak.load}; ${soak.requests} requests, statuses ${statuses(soak.counts)}.`,
      '',
      '| Minute | RSS | Event-loop delay p99 | DB connections (relay) | Open handles | Latency p50 | Latency p99 |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...soak.windows.map(
        (w) =>
          `| ${(w.atSeconds / 60).toFixed(1)} | ${(w.rssBytes / 1024 / 1024).toFixed(0)} MiB | ${w.eventLoopP99Ms.toFixed(1)} ms | ${w.databaseConnections} | ${w.handles} | ${w.p50Ms.toFixed(1)} ms | ${w.p99Ms.toFixed(1)} ms |`,
      ),
      '',
      `Verdict: **${soak.verdict}** (medians of the last third of the windows against the first third, warm-up window left out).`,
      '',
      ...soak.checks.map((c) => `- ${c.held ? 'held' : '**not held**'}: ${c.name} (${c.detail})`),
    )
  }
  return `${lines.join('\n')}\n`
}

function statuses(counts: Record<string, number>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ')
}
