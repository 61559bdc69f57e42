/**
 * `pnpm bench [--smoke] [--duration S] [--warmup S] [--modes jwt,introspection] [--only id,id] [--fresh]
 *             [--messages N --big N --eboxes N] [--generate-only]`
 *
 * Generates the data set into the benchmark database (DATABASE_URL's server, database `ebox_bench`; else an
 * embedded PostgreSQL under .data/bench-pg), runs every scenario against the registry in each OAuth mode and the
 * ceilings in the same run, writes bench/results/<time>.json and .md and prints the tables.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openBenchDatabase, repositoryRoot, storedSpec, withClient } from './database.ts'
import { type DatasetSpec, FULL_SPEC, generateDataset, SMOKE_SPEC } from './generate.ts'
import { describeMachine, markdownReport } from './report.ts'
import { runBenchmarks } from './run.ts'
import type { OAuthMode } from './service/registry-process.ts'
import { summarise } from './summary.ts'

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    modes: { type: 'string', default: 'jwt,introspection' },
    only: { type: 'string' },
    fresh: { type: 'boolean', default: false },
    'generate-only': { type: 'boolean', default: false },
    messages: { type: 'string' },
    big: { type: 'string' },
    eboxes: { type: 'string' },
    database: { type: 'string' },
  },
})

const log = (line: string) => console.log(line)
const base = values.smoke ? SMOKE_SPEC : FULL_SPEC
const name = values.database ?? (values.smoke ? 'ebox_bench_smoke' : 'ebox_bench')

async function main() {
  if (values.fresh) {
    const adminUrl = process.env.DATABASE_URL
    if (adminUrl) {
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
      log(`dropped ${name}`)
    }
  }
  const database = await openBenchDatabase({ name, log })
  try {
    const existing = await storedSpec(database.url)
    const spec: DatasetSpec = {
      ...base,
      ...(values.messages ? { messages: Number(values.messages) } : {}),
      ...(values.big ? { bigEboxMessages: Number(values.big) } : {}),
      ...(values.eboxes ? { eboxes: Number(values.eboxes) } : {}),
      // Dates are relative to when the data was generated: reuse the stored instant for the same sizes.
      now: existing?.now ?? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
    }
    const dataset = await generateDataset(database.url, spec, log)
    if (values['generate-only']) return

    const postgresVersion = await withClient(database.url, async (c) => {
      const { rows } = await c.query<{ server_version: string }>('SHOW server_version')
      return rows[0]?.server_version ?? 'unknown'
    })
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const resultsDir = join(repositoryRoot, 'bench', 'results')
    const workDir = join(resultsDir, stamp)
    const report = await runBenchmarks({
      databaseUrl: database.url,
      dataset,
      durationSeconds: Number(values.duration ?? (values.smoke ? 1 : 10)),
      warmupSeconds: Number(values.warmup ?? (values.smoke ? 0 : 3)),
      modes: values.modes.split(',').map((m) => m.trim()) as OAuthMode[],
      ...(values.only ? { only: values.only.split(',') } : {}),
      workDir,
      log,
    })
    report.machine = describeMachine(postgresVersion)
    const command = `pnpm bench ${process.argv.slice(2).join(' ')}`.trim()
    const markdown = markdownReport(report, command)
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(join(resultsDir, `${stamp}.json`), JSON.stringify(report, null, 1))
    writeFileSync(join(resultsDir, `${stamp}.md`), markdown)
    console.log(`\n${markdown}\n\nwritten: bench/results/${stamp}.md and .json`)
    // The figures the capacity model reads, in a committed folder (a smoke run measures nothing worth keeping).
    if (!values.smoke) {
      const full =
        !values.only &&
        !values.messages &&
        !values.big &&
        !values.eboxes &&
        values.modes === 'jwt,introspection'
      const summary = summarise(report, command, full ? 'full' : 'partial')
      const summariesDir = join(repositoryRoot, 'bench', 'summaries')
      mkdirSync(summariesDir, { recursive: true })
      writeFileSync(join(summariesDir, `${stamp}.json`), `${JSON.stringify(summary, null, 2)}\n`)
      console.log(`written: bench/summaries/${stamp}.json (commit it: pnpm capacity reads the newest)`)
    }
  } finally {
    await database.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
