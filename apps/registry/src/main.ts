#!/usr/bin/env node
import { auditCommand } from './audit/cli.ts'
import { refdataCommand } from './cli/refdata.ts'
import { seedCommand } from './cli/seed.ts'
import { loadDatabaseConfig, loadMigrateConfig } from './config/common.ts'
import { ConfigError } from './config/reader.ts'
import { loadConfig } from './config.ts'
import { contentCommand } from './content/cli.ts'
import { migrateUp } from './db/migrate.ts'
import { serve } from './server.ts'
import { loadWorkerConfig } from './worker/config.ts'
import { requeueDeadCommand, runWorker } from './worker/worker.ts'

/**
 * One entry point for every process of the image: `registry serve` (default), `registry migrate`.
 * Later commands (worker, seed, refdata, audit) register in COMMANDS.
 */
const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  async serve() {
    await serve(loadConfig())
  },
  async migrate() {
    const { databaseUrl, timeouts } = loadMigrateConfig()
    const applied = await migrateUp(databaseUrl, (line) => console.log(line), timeouts)
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'migrations are current')
  },
  /** `registry audit verify` | `registry audit export --from DATE --to DATE [--out FILE]` */
  async audit(args) {
    process.exitCode = await auditCommand(args)
  },
  /** `registry seed demo`: loads (or restores) the demo data set. */
  async seed(args) {
    process.exitCode = await seedCommand(args)
  },
  /** `registry refdata import FILE.json`: creates or replaces reference data; an invalid file changes nothing. */
  async refdata(args) {
    process.exitCode = await refdataCommand(args)
  },
  /** `registry content migrate --to s3|postgres`: moves attachment content between the stores, verified. */
  async content(args) {
    process.exitCode = await contentCommand(args)
  },
  /** `registry worker`: EES delivery and scheduler. `registry worker requeue-dead`: dead letters back to pending. */
  async worker(args) {
    if (args[0] === 'requeue-dead') {
      return requeueDeadCommand(loadDatabaseConfig().databaseUrl)
    }
    await runWorker(loadWorkerConfig())
  },
}

async function main(argv: string[]) {
  const [name = 'serve', ...args] = argv
  const command = COMMANDS[name]
  if (!command) {
    console.error(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`)
    process.exit(2)
  }
  await command(args)
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`configuration: ${problem}`)
  } else {
    console.error(error instanceof Error ? error.message : error)
  }
  process.exit(1)
})
