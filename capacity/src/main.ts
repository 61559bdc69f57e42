/**
 * `pnpm capacity [--workload quickstart|medium|national|<file>.yaml] [--platform kubernetes|single-host|<file>.yaml]`
 *
 * Prints the sizing table of a workload (every shipped workload without --workload) from the newest committed
 * benchmark summaries in bench/summaries/.
 */
import { parseArgs } from 'node:util'
import { latestRuns, readPlatform, readSummaries, readWorkload, workloadNames } from './files.ts'
import { report } from './table.ts'
import { unitCosts } from './unit-costs.ts'

try {
  const { values } = parseArgs({
    options: { workload: { type: 'string' }, platform: { type: 'string' } },
  })
  const { cpuRun, storageRun } = latestRuns(readSummaries())
  const costs = unitCosts(cpuRun, storageRun)
  const names = values.workload ? [values.workload] : workloadNames()
  console.log(costs.sources.map((line) => `Unit costs — ${line}`).join('\n'))
  for (const name of names) {
    const workload = readWorkload(name)
    const platform = readPlatform(values.platform ?? workload.platform)
    console.log(`\n${report(workload, costs, platform)}`)
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}
