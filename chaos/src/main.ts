import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { repositoryRoot } from '@ebox/bench'
import { markdownReport } from './report.ts'
import { runScenario, SCENARIOS, type ScenarioResult } from './scenarios.ts'
import { runSoak, type SoakResult } from './soak.ts'
import { startChaosSystem } from './system.ts'

/**
 * `pnpm chaos [--only 1a,2] [--hold-seconds 10] [--soak-minutes 0.5] [--big-download-mib 50]`: starts the system
 * (src/system.ts), runs each scenario under load, prints its figures and pass/fail, and writes the tables for
 * RELIABILITY.md to chaos/reports/. Exits 1 when a scenario fails.
 */
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'hold-seconds': { type: 'string', default: '10' },
    'soak-minutes': { type: 'string', default: '0.5' },
    'big-download-mib': { type: 'string', default: '50' },
  },
})
const only = values.only?.split(',').map((id) => id.trim())
const holdSeconds = Number(values['hold-seconds'])
const soakMinutes = Number(values['soak-minutes'])
const log = (line: string) => console.log(line)
const startedAt = new Date().toISOString()
const load = loadavg()[0]!.toFixed(1)

const system = await startChaosSystem({
  log,
  bigDownloadBytes: Number(values['big-download-mib']) * 1024 * 1024,
})
// Interrupted: the registry, workers and private PostgreSQL go too, never left running.
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    log(`${signal}: stopping the system`)
    system.stop().finally(() => process.exit(130))
  })
const results: ScenarioResult[] = []
let soak: SoakResult | undefined
try {
  for (const scenario of SCENARIOS) {
    if (only && !only.includes(scenario.id)) continue
    results.push(await runScenario(system, scenario, { holdSeconds, log }))
  }
  if ((!only || only.includes('9')) && soakMinutes > 0) {
    log(`— 9: soak for ${soakMinutes} min`)
    soak = await runSoak(system, { durationSeconds: Math.round(soakMinutes * 60), log })
    for (const check of soak.checks) log(`  ${check.held ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`)
    log(`  9: ${soak.verdict}; ${soak.passed ? 'PASS' : 'FAIL'}`)
  }
} finally {
  await system.stop()
}

const command = `pnpm chaos ${process.argv.slice(2).join(' ')}`.trim()
const machine = `${cpus().length} cores shared with other work (load average ${load} at the start, ${loadavg()[0]!.toFixed(1)} at the end), Node ${process.versions.node}`
const markdown = markdownReport(results, soak, { command, machine, startedAt })
const dir = join(repositoryRoot, 'chaos', 'reports')
mkdirSync(dir, { recursive: true })
const file = join(dir, `chaos-${startedAt.replace(/[:.]/g, '-')}.md`)
writeFileSync(file, markdown)
console.log(`\n${markdown}\nwritten to ${file}`)
const failed = results.filter((r) => !r.passed).map((r) => r.id)
if (soak && !soak.passed) failed.push('9')
console.log(failed.length === 0 ? 'chaos: every scenario passed' : `chaos: failed ${failed.join(', ')}`)
process.exit(failed.length === 0 ? 0 : 1)
