import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import pg from 'pg'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrateUp, NO_TRANSACTION_MARKER, splitStatements } from '../src/db/migrate.ts'

/** The runner's zero-downtime rules on a real PostgreSQL: concurrent builds outside a transaction, lock timeout. */
const dirs: string[] = []
function migrations(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrations-'))
  dirs.push(dir)
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const createTable = `-- Up Migration
CREATE TABLE items (id bigint PRIMARY KEY, label text NOT NULL);
INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) AS g;
-- Down Migration
DROP TABLE items;
`
const concurrentIndex = `${NO_TRANSACTION_MARKER}
-- Up Migration
-- A failed concurrent build leaves an INVALID index: drop it first so that the file can run again.
DROP INDEX CONCURRENTLY IF EXISTS items_by_label;
CREATE INDEX CONCURRENTLY items_by_label ON items (label); -- trailing comment
`

let database: IsolatedDatabase
let client: pg.Client
beforeEach(async () => {
  database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'migration_runner' })
  client = new pg.Client({ connectionString: database.url })
  await client.connect()
})
afterEach(async () => {
  await client.end()
  await database.drop()
})

describe('a non-transactional migration', () => {
  it('builds its index CONCURRENTLY after the transactional ones, and is recorded', async () => {
    const dir = migrations({ '0001_items.sql': createTable, '0002_items_index.sql': concurrentIndex })
    expect(await migrateUp(database.url, () => {}, { dir })).toEqual(['0001_items', '0002_items_index'])
    const { rows } = await client.query(
      `SELECT i.indisvalid FROM pg_index i WHERE i.indexrelid = 'items_by_label'::regclass`,
    )
    expect(rows).toEqual([{ indisvalid: true }])
    expect(await migrateUp(database.url, () => {}, { dir })).toEqual([])
  })

  it('replaces an INVALID index left by a failed build when run again', async () => {
    const dir = migrations({ '0001_items.sql': createTable })
    await migrateUp(database.url, () => {}, { dir })
    // A unique concurrent build that fails on duplicates leaves the index behind, marked invalid.
    await client.query(`INSERT INTO items VALUES (1001, 'item 1')`)
    await expect(
      client.query('CREATE UNIQUE INDEX CONCURRENTLY items_by_label ON items (label)'),
    ).rejects.toThrow()
    const before = await client.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_by_label'::regclass`,
    )
    expect(before.rows).toEqual([{ indisvalid: false }])

    writeFileSync(join(dir, '0002_items_index.sql'), concurrentIndex)
    await migrateUp(database.url, () => {}, { dir })
    const after = await client.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_by_label'::regclass`,
    )
    expect(after.rows).toEqual([{ indisvalid: true }])
  })

  it('may not hold function bodies', () => {
    expect(() =>
      splitStatements('x.sql', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;'),
    ).toThrow(/\$\$ bodies/)
  })
})

describe('lock_timeout', () => {
  it('fails a migration that waits for a lock instead of queueing every query behind it', async () => {
    const dir = migrations({ '0001_items.sql': createTable })
    await migrateUp(database.url, () => {}, { dir })
    writeFileSync(
      join(dir, '0002_items_column.sql'),
      '-- Up Migration\nALTER TABLE items ADD COLUMN note text;\n',
    )
    // A long transaction of the service holds a lock that conflicts with ALTER TABLE.
    await client.query('BEGIN')
    await client.query('SELECT count(*) FROM items')
    try {
      await expect(migrateUp(database.url, () => {}, { dir, lockTimeoutMs: 200 })).rejects.toMatchObject({
        code: '55P03',
      })
    } finally {
      await client.query('ROLLBACK')
    }
    // Nothing half-applied; once the lock is free, the same migration goes through.
    expect(await migrateUp(database.url, () => {}, { dir, lockTimeoutMs: 200 })).toEqual([
      '0002_items_column',
    ])
  })
})
