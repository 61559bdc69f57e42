import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedPostgres, withDatabase } from '@ebox/dev-postgres'
import { migrateUp } from '@ebox/registry'
import pg from 'pg'
import type { DatasetSpec } from './generate.ts'

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))

export interface BenchDatabase {
  /** Connection string of the benchmark database. */
  url: string
  /** Stops the embedded server when this process started one. */
  stop(): Promise<void>
}

/**
 * The benchmark database: `name` (default `ebox_bench`) on the server of DATABASE_URL when set, else on an
 * embedded PostgreSQL whose data stays under .data/bench-pg between runs (generating the data set takes minutes).
 * Created when missing, then migrated.
 */
export async function openBenchDatabase(
  options: { adminUrl?: string; name?: string; log?: (line: string) => void } = {},
): Promise<BenchDatabase> {
  const log = options.log ?? (() => {})
  let adminUrl = options.adminUrl ?? process.env.DATABASE_URL
  let stop = async () => {}
  if (!adminUrl) {
    const dataDir = join(repositoryRoot, '.data', 'bench-pg')
    log(`starting embedded PostgreSQL in ${dataDir}`)
    const server = await startEmbeddedPostgres({ dataDir, persistent: true })
    adminUrl = server.url
    stop = () => server.stop()
  }
  const name = options.name ?? 'ebox_bench'
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
    if (!rowCount) await admin.query(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = withDatabase(adminUrl, name)
  const applied = await migrateUp(url)
  if (applied.length > 0) log(`migrations applied: ${applied.join(', ')}`)
  return { url, stop }
}

/** Runs `work` with one client of `url`. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** The spec the database's data set was generated with (undefined before the first generation). */
export async function storedSpec(url: string): Promise<DatasetSpec | undefined> {
  return withClient(url, async (c) => {
    const { rows } = await c
      .query<{ spec: DatasetSpec }>(
        "SELECT spec FROM bench_dataset WHERE to_regclass('bench_dataset') IS NOT NULL",
      )
      .catch(() => ({ rows: [] as { spec: DatasetSpec }[] }))
    return rows[0]?.spec
  })
}
