import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import type { Measurement } from './load.ts'
import type { BenchReport, ScenarioResult } from './run.ts'

/** The machine a run measured: cores, memory, CPU, Node and PostgreSQL versions. */
export function describeMachine(postgresVersion: string): Record<string, string> {
  let model = cpus()[0]?.model ?? 'unknown'
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model
  } catch {}
  return {
    cores: String(cpus().length),
    cpu: model,
    memory: `${Math.round(totalmem() / 1024 ** 3)} GiB`,
    node: process.version,
    postgres: postgresVersion,
  }
}

const ms = (value: number) =>
  Number.isFinite(value) ? (value < 10 ? value.toFixed(1) : Math.round(value).toString()) : '–'
const rate = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value < 100
      ? value.toFixed(1)
      : Math.round(value).toLocaleString('en')
const ratio = (a: number, b: number | undefined) => (b ? `${Math.round((100 * a) / b)} %` : '–')
const cpu = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '–' : value < 1 ? value.toFixed(2) : value.toFixed(1)
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)}`

/** The results table (markdown): one row per scenario and OAuth mode, ceilings and ratios beside it. */
export function resultsTable(report: BenchReport): string {
  const lines = [
    '| Scenario | Auth | conn. | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB (growth) | CPU ms/req service + PostgreSQL | framework ceiling req/s | service / framework | database ceiling req/s | service / database | file-stream ceiling req/s | service / file |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ]
  for (const result of report.results) {
    for (const service of result.service) {
      const rated = result.overallRate !== undefined
      lines.push(
        `| ${result.title} | ${service.mode} | ${result.connections} | ${rate(service.requestsPerSecond)} | ${ms(service.latencyMs.p50)} | ${ms(service.latencyMs.p95)} | ${ms(service.latencyMs.p99)} | ${errorsOf(service)} | ${mb(service.peakRssBytes)} (+${mb(Math.max(0, service.peakRssBytes - service.rssBeforeBytes))}) | ${cpu(service.serviceCpuMsPerRequest)} + ${cpu(service.postgresCpuMsPerRequest)} | ${rated ? '(rate-limited)' : rate(result.framework?.requestsPerSecond)} | ${rated ? '–' : ratio(service.requestsPerSecond, result.framework?.requestsPerSecond)} | ${rated ? '–' : rate(result.database?.requestsPerSecond)} | ${rated ? '–' : ratio(service.requestsPerSecond, result.database?.requestsPerSecond)} | ${rate(result.file?.requestsPerSecond)} | ${ratio(service.requestsPerSecond, result.file?.requestsPerSecond)} |`,
      )
    }
  }
  return lines.join('\n')
}

/** Ceilings alone, with their latencies (the table above shows their throughput). */
export function ceilingsTable(report: BenchReport): string {
  const lines = ['| Scenario | Ceiling | req/s | p50 ms | p99 ms | errors |', '|---|---|--:|--:|--:|--:|']
  const row = (title: string, kind: string, m: Measurement | undefined) => {
    if (m)
      lines.push(
        `| ${title} | ${kind} | ${rate(m.requestsPerSecond)} | ${ms(m.latencyMs.p50)} | ${ms(m.latencyMs.p99)} | ${m.errors} |`,
      )
  }
  for (const r of report.results) {
    if (r.overallRate !== undefined) continue
    row(r.title, 'framework', r.framework)
    row(r.title, 'database', r.database)
    row(r.title, 'file stream', r.file)
  }
  return lines.join('\n')
}

export interface TargetCheck {
  target: string
  mode: string
  measured: string
  met: boolean
}

/** The targets of issue 10, checked against a report (each OAuth mode separately). */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const byId = new Map(report.results.map((r) => [r.id, r]))
  const checks: TargetCheck[] = []
  const each = (id: string, fn: (r: ScenarioResult, s: ScenarioResult['service'][number]) => void) => {
    const r = byId.get(id)
    if (r) for (const s of r.service) fn(r, s)
  }
  each('list-page-1-at-1000', (_r, s) =>
    checks.push({
      target: 'List page 1, p99 ≤ 25 ms at 1,000 req/s',
      mode: s.mode,
      measured: `p99 ${ms(s.latencyMs.p99)} ms at ${rate(s.requestsPerSecond)} req/s`,
      met: s.latencyMs.p99 <= 25 && s.requestsPerSecond >= 950 && s.errors === 0,
    }),
  )
  each('list-page-1', (r, s) =>
    checks.push({
      target: 'List page 1 ≥ 40 % of the framework ceiling',
      mode: s.mode,
      measured: ratio(s.requestsPerSecond, r.framework?.requestsPerSecond),
      met: r.framework !== undefined && s.requestsPerSecond >= 0.4 * r.framework.requestsPerSecond,
    }),
  )
  each('search-fr-at-25', (_r, s) =>
    checks.push({
      target: 'q search, p95 ≤ 50 ms (at 25 req/s)',
      mode: s.mode,
      measured: `p95 ${ms(s.latencyMs.p95)} ms at ${rate(s.requestsPerSecond)} req/s`,
      met: s.latencyMs.p95 <= 50 && s.errors === 0,
    }),
  )
  each('reference-data', (r, s) =>
    checks.push({
      target: 'Reference-data detail ≥ 60 % of the framework ceiling',
      mode: s.mode,
      measured: ratio(s.requestsPerSecond, r.framework?.requestsPerSecond),
      met: r.framework !== undefined && s.requestsPerSecond >= 0.6 * r.framework.requestsPerSecond,
    }),
  )
  for (const id of ['content-1mb', 'content-50mb']) {
    each(id, (r, s) =>
      checks.push({
        target: `${r.title}: ≥ 50 % of the file-stream ceiling`,
        mode: s.mode,
        measured: ratio(s.requestsPerSecond, r.file?.requestsPerSecond),
        met: r.file !== undefined && s.requestsPerSecond >= 0.5 * r.file.requestsPerSecond,
      }),
    )
  }
  each('content-50mb', (r, s) => {
    const growth = s.peakRssBytes - s.rssBeforeBytes
    checks.push({
      target: `RSS growth ≤ 64 MB with ${r.connections} × 50 MB downloads in flight`,
      mode: s.mode,
      measured: `+${mb(growth)} MB`,
      met: growth <= 64 * 1024 * 1024,
    })
  })
  return checks
}

export function targetsTable(report: BenchReport): string {
  const lines = ['| Target | Auth | Measured | Met |', '|---|---|---|---|']
  for (const check of checkTargets(report))
    lines.push(`| ${check.target} | ${check.mode} | ${check.measured} | ${check.met ? 'yes' : '**no**'} |`)
  return lines.join('\n')
}

export function markdownReport(report: BenchReport, command: string): string {
  const machine = Object.entries(report.machine)
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ')
  const d = report.dataset.spec
  return [
    `Run of ${report.startedAt} — \`${command}\``,
    '',
    `Machine: ${machine}. Load generator (autocannon) in the harness process, service, ceilings and PostgreSQL on the same cores; ${report.durationSeconds} s per measurement after a warm-up.`,
    '',
    `Data: ${d.messages.toLocaleString('en')} messages over ${d.eboxes.toLocaleString('en')} e-Boxes, the measured e-Box holds ${d.bigEboxMessages.toLocaleString('en')}; ${report.dataset.searchMatches.toLocaleString('en')} of them carry "${report.dataset.searchTerm}".`,
    '',
    resultsTable(report),
    '',
    targetsTable(report),
    '',
    '<details><summary>Ceilings with their latencies</summary>',
    '',
    ceilingsTable(report),
    '',
    '</details>',
  ].join('\n')
}

/** The error count, with the statuses behind it (e.g. `18 (503: 18)`). */
function errorsOf(m: Measurement): string {
  const statuses = Object.entries(m.unexpectedStatuses ?? {})
  if (statuses.length === 0) return String(m.errors)
  return `${m.errors} (${statuses.map(([status, count]) => `${status}: ${count}`).join(', ')})`
}
