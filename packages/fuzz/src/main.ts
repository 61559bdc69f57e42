import { parseArgs } from 'node:util'
import { runCampaign, summarise } from './campaign.ts'
import { startFuzzTarget } from './target.ts'

/**
 * `pnpm fuzz [-- --duration SECONDS] [--seed N] [--only TEXT]`: fuzzes every operation of the registry's OpenAPI document on a
 * fresh database (DATABASE_URL's server, or an embedded PostgreSQL), prints the requests per operation and each
 * shrunk counterexample as curl (saved under packages/fuzz/regressions/). Exit 1 when an oracle failed.
 */
async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      duration: { type: 'string', default: '60' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000_000) },
      only: { type: 'string' },
    },
  })
  const durationSeconds = Number(values.duration)
  const seed = Number(values.seed)
  if (!(durationSeconds > 0) || !Number.isSafeInteger(seed)) {
    console.error("usage: pnpm fuzz [-- --duration SECONDS] [--seed N] [--only 'GET /ebox']")
    process.exit(2)
  }
  console.log(`fuzzing for ${durationSeconds} s with seed ${seed}`)
  const target = await startFuzzTarget()
  const started = performance.now()
  try {
    const result = await runCampaign(target, { durationSeconds, seed, only: values.only })
    console.log(`\n${summarise(result, (performance.now() - started) / 1000)}`)
    console.log(`replay with: pnpm fuzz -- --duration ${durationSeconds} --seed ${seed}`)
    process.exitCode = result.failures.length + result.databaseProblems.length > 0 ? 1 : 0
  } finally {
    await target.close()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
