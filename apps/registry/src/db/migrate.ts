import { readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type MigrationBuilder, runner } from 'node-pg-migrate'
import pg from 'pg'

/** Versioned SQL files, shipped with the package (src and dist both sit one level below it). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))
const MIGRATIONS_TABLE = 'pgmigrations'

/**
 * First line of a migration that must run outside a transaction (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD
 * VALUE` used in the same file, `VACUUM`). Such a file holds plain statements, each ending with `;` at the end of a
 * line, run one by one; it must be safe to run again after a failure half-way (e.g. `DROP INDEX CONCURRENTLY IF
 * EXISTS` before `CREATE INDEX CONCURRENTLY`: a failed concurrent build leaves an INVALID index behind).
 */
export const NO_TRANSACTION_MARKER = '-- migrate:no-transaction'

export interface MigrateOptions {
  dir?: string
  /** How long a DDL statement may wait for a lock before the migration fails (it queues every query behind it). */
  lockTimeoutMs?: number
  /** How long any one statement of a transactional migration may run. Non-transactional files have no limit. */
  statementTimeoutMs?: number
}
export const migrationDefaults = { lockTimeoutMs: 5_000, statementTimeoutMs: 60_000 }

export function migrationNames(dir = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort()
}

/** The up part of a migration file: everything before `-- Down Migration` (node-pg-migrate's markers). */
export function upSection(content: string): string {
  const down = content.search(/^\s*--[\s-]*down\s+migration/im)
  return down < 0 ? content : content.slice(0, down)
}

export function isNonTransactional(content: string): boolean {
  return content.trimStart().startsWith(NO_TRANSACTION_MARKER)
}

/** Splits a non-transactional file into its statements; refuses bodies (`$$`) that a `;` split would cut. */
export function splitStatements(file: string, sql: string): string[] {
  if (sql.includes('$$')) throw new Error(`${file}: a ${NO_TRANSACTION_MARKER} file may not hold $$ bodies`)
  return sql
    .split(/;[ \t]*(?:--[^\n]*)?$/m)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !/^\s*--/.test(line))
        .join('\n')
        .trim(),
    )
    .filter(Boolean)
}

/** node-pg-migrate's SQL loader, plus the non-transactional marker. */
async function loadSqlMigrations(filePaths: string[]) {
  return Promise.all(
    filePaths.map(async (filePath) => {
      const content = await readFile(filePath, 'utf8')
      const up = upSection(content)
      const nonTransactional = isNonTransactional(content)
      const statements = nonTransactional ? splitStatements(basename(filePath), up) : [up]
      return {
        id: filePath,
        filePaths: [filePath],
        actions: {
          up: (pgm: MigrationBuilder) => {
            if (nonTransactional) {
              pgm.noTransaction()
              // No time limit for a concurrent build; restored after the file so the next one runs with it.
              pgm.sql('SET statement_timeout = 0')
            }
            for (const statement of statements) pgm.sql(statement)
            if (nonTransactional) pgm.sql('RESET statement_timeout')
          },
          down: false as const,
        },
      }
    }),
  )
}

/**
 * Applies pending migrations under node-pg-migrate's advisory lock (safe with several replicas starting). The
 * transactional ones run in one transaction; a non-transactional file commits what came before and runs alone.
 * Every statement waits at most `lockTimeoutMs` for a lock: a migration that cannot get its lock fails (the Job
 * retries) instead of queueing every query of the service behind it.
 */
export async function migrateUp(
  databaseUrl: string,
  log: (line: string) => void = () => {},
  options: MigrateOptions = {},
): Promise<string[]> {
  const { lockTimeoutMs, statementTimeoutMs } = { ...migrationDefaults, ...options }
  const client = new pg.Client({
    connectionString: databaseUrl,
    lock_timeout: lockTimeoutMs,
    statement_timeout: statementTimeoutMs,
    application_name: 'ebox-registry-migrate',
  })
  // A session ended by the server (restart, failover, a dropped database) fails the pending query; without a
  // listener the same error would also end the process as an uncaught 'error' event.
  client.on('error', (error) => log(`migration connection lost: ${error.message}`))
  await client.connect()
  try {
    const applied = await runner({
      dbClient: client,
      dir: options.dir ?? MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      checkOrder: true,
      singleTransaction: true,
      migrationLoaderStrategies: [{ extensions: ['.sql'], loader: loadSqlMigrations }],
      log,
      logger: { debug: () => {}, info: log, warn: log, error: log },
    })
    return applied.map((migration) => migration.name)
  } finally {
    await client.end()
  }
}

/** True when every migration file has been applied to the database behind `pool`. */
export async function migrationsAreCurrent(pool: pg.Pool): Promise<boolean> {
  const table = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    MIGRATIONS_TABLE,
  ])
  if (!table.rows[0]?.exists) return false
  const { rows } = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`)
  const applied = new Set(rows.map((row) => row.name))
  return migrationNames().every((name) => applied.has(name))
}
