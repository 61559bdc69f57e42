import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../src/audit/chain.ts'
import { AuditWriter, appendAudit } from '../src/audit/store.ts'
import { verifyAuditChain } from '../src/audit/verify.ts'
import { MIGRATIONS_DIR, migrateUp } from '../src/db/migrate.ts'
import { createPool, inTransaction } from '../src/db/pool.ts'
import { anchorAuditChain } from '../src/repositories/scheduler.ts'

/**
 * The sharded audit chain (migration 0011) on a real PostgreSQL: writers in separate pools append at the same
 * time, each transaction on a shard of its own, and `verify` still finds every kind of tampering.
 */
let database: IsolatedDatabase
let admin: pg.Pool
const pools: pg.Pool[] = []

beforeAll(async () => {
  database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'audit_shards' })
  await migrateUp(database.url)
  admin = createPool({ connectionString: database.url, max: 2, statementTimeoutMs: 30_000 })
  for (let i = 0; i < 4; i++) {
    pools.push(createPool({ connectionString: database.url, max: 3, statementTimeoutMs: 30_000 }))
  }
}, 120_000)

afterAll(async () => {
  await Promise.all([admin, ...pools].map((pool) => pool?.end()))
  await database?.drop()
})

const entry = (writer: number, n: number): AuditEntry => ({
  occurredAt: `2026-05-0${1 + (n % 9)}T10:00:00.${String(n).padStart(6, '0')}Z`,
  tokenHash: null,
  clientId: `replica-${writer}`,
  method: 'GET',
  url: `/ebox/messages/${writer}-${n}`,
  status: 200,
  details: { writer, n },
  correlationId: null,
})

/** As a superuser bypassing the append-only triggers (what an attacker with the database would do). */
async function tamper(statements: [string, unknown[]?][]): Promise<void> {
  const client = await admin.connect()
  try {
    await client.query('BEGIN')
    await client.query('SET LOCAL session_replication_role = replica')
    for (const [sql, params] of statements) await client.query(sql, params)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}

async function shardsUsed(): Promise<{ shard: number; first: string; last: string; n: number }[]> {
  const { rows } = await admin.query<{ shard: string; first: string; last: string; n: string }>(
    `SELECT seq / 100000000000000 AS shard, min(seq) AS first, max(seq) AS last, count(*) AS n
       FROM audit_records GROUP BY 1 ORDER BY 1`,
  )
  return rows.map((row) => ({ shard: Number(row.shard), first: row.first, last: row.last, n: Number(row.n) }))
}

describe('appends from 4 pools at once', () => {
  it('spread over several shards, each an unbroken chain; verify passes', async () => {
    // Each pool: single appends (as in a write's own transaction) and a group-committing writer (as the plugin),
    // with transactions held open so that the appends really overlap.
    await Promise.all(
      pools.map(async (pool, writer) => {
        const batched = new AuditWriter(pool, { maxBatch: 5 })
        await Promise.all([
          ...Array.from({ length: 20 }, (_, n) => batched.write(entry(writer, n))),
          ...Array.from({ length: 10 }, (_, n) =>
            inTransaction(pool, async (client) => {
              await appendAudit(client, [entry(writer, 100 + n)])
              await client.query('SELECT pg_sleep(0.02)')
            }),
          ),
        ])
      }),
    )
    const shards = await shardsUsed()
    expect(shards.reduce((sum, shard) => sum + shard.n, 0)).toBe(120)
    expect(shards.length).toBeGreaterThan(1)
    for (const shard of shards) expect(Number(shard.last) - Number(shard.first) + 1).toBe(shard.n)
    expect(await anchorAuditChain(admin)).toBe(1)
    expect(await anchorAuditChain(admin)).toBeUndefined() // nothing moved since
    expect(await verifyAuditChain(admin, { pageSize: 7 })).toMatchObject({
      ok: true,
      records: 120,
      shards: shards.length,
      anchors: 1,
    })
  })
})

describe('verify after tampering', () => {
  /** A record with records after it in its shard, in the highest shard used (not shard 0). */
  async function middleOfLastShard(): Promise<{ seq: string; shard: number }> {
    const shard = (await shardsUsed()).at(-1)!
    expect(shard.n).toBeGreaterThanOrEqual(3)
    return { seq: String(BigInt(shard.first) + 1n), shard: shard.shard }
  }

  it('a changed record: named, then whole again once restored', async () => {
    const { seq, shard } = await middleOfLastShard()
    const { rows } = await admin.query<{ status: number }>(
      'SELECT status FROM audit_records WHERE seq = $1',
      [seq],
    )
    await tamper([['UPDATE audit_records SET status = 204 WHERE seq = $1', [seq]]])
    expect(await verifyAuditChain(admin)).toMatchObject({
      ok: false,
      brokenSeq: Number(seq),
      reason: `its content does not match its hash (shard ${shard})`,
    })
    await tamper([['UPDATE audit_records SET status = $2 WHERE seq = $1', [seq, rows[0]!.status]]])
    expect(await verifyAuditChain(admin)).toMatchObject({ ok: true })
  })

  it('two records swapped (reordered): named', async () => {
    const { seq } = await middleOfLastShard()
    const next = String(BigInt(seq) + 1n)
    await tamper([
      ['UPDATE audit_records SET seq = -1 WHERE seq = $1', [seq]],
      ['UPDATE audit_records SET seq = $1 WHERE seq = $2', [seq, next]],
      ['UPDATE audit_records SET seq = $1 WHERE seq = -1', [next]],
    ])
    const result = await verifyAuditChain(admin)
    expect(result).toMatchObject({ ok: false, brokenSeq: Number(seq) })
    await tamper([
      ['UPDATE audit_records SET seq = -1 WHERE seq = $1', [seq]],
      ['UPDATE audit_records SET seq = $1 WHERE seq = $2', [seq, next]],
      ['UPDATE audit_records SET seq = $1 WHERE seq = -1', [next]],
    ])
    expect(await verifyAuditChain(admin)).toMatchObject({ ok: true })
  })

  it('a removed record: the next one is named', async () => {
    const { seq, shard } = await middleOfLastShard()
    await tamper([
      ['CREATE TABLE removed_record AS SELECT * FROM audit_records WHERE seq = $1'.replace('$1', seq)],
      ['DELETE FROM audit_records WHERE seq = $1', [seq]],
    ])
    expect(await verifyAuditChain(admin)).toMatchObject({
      ok: false,
      brokenSeq: Number(seq) + 1,
      reason: `record(s) ${seq} missing before it (shard ${shard})`,
    })
    await tamper([['INSERT INTO audit_records SELECT * FROM removed_record'], ['DROP TABLE removed_record']])
    expect(await verifyAuditChain(admin)).toMatchObject({ ok: true })
  })

  it('a shard tail removed with its head moved back, before the last anchor: the anchor names it', async () => {
    const shard = (await shardsUsed()).at(-1)!
    const keep = String(BigInt(shard.last) - 2n)
    await tamper([
      [
        'CREATE TABLE removed_tail AS SELECT * FROM audit_records WHERE seq > $1 AND seq <= $2'
          .replace('$1', keep)
          .replace('$2', shard.last),
      ],
      ['DELETE FROM audit_records WHERE seq > $1 AND seq <= $2', [keep, shard.last]],
    ])
    // Through the head first …
    expect(await verifyAuditChain(admin)).toMatchObject({
      ok: false,
      reason: `the head of shard ${shard.shard} is at seq ${shard.last} but its records end at seq ${keep}`,
    })
    // … and with the head rewound to match, through the anchor written after those records.
    const { rows } = await admin.query<{ hash: string }>('SELECT hash FROM audit_records WHERE seq = $1', [
      keep,
    ])
    await tamper([
      [
        'UPDATE audit_chain_shards SET seq = $2, hash = $3 WHERE shard = $1',
        [shard.shard, keep, rows[0]!.hash],
      ],
    ])
    expect(await verifyAuditChain(admin)).toMatchObject({
      ok: false,
      brokenSeq: Number(shard.last),
      reason: `anchor 1 recorded it as the head of shard ${shard.shard}, but it is missing`,
    })
  })
})

describe('migration 0011 on a database with records', () => {
  it('keeps them as shard 0, which continues from the old head; verify passes', async () => {
    const before = mkdtempSync(join(tmpdir(), 'migrations-before-0011-'))
    for (const name of readdirSync(MIGRATIONS_DIR).filter((file) => file < '0011')) {
      copyFileSync(join(MIGRATIONS_DIR, name), join(before, name))
    }
    const old = await createIsolatedDatabase(testAdminUrl(), { prefix: 'audit_before_0011' })
    const pool = createPool({ connectionString: old.url, max: 2, statementTimeoutMs: 30_000 })
    try {
      await migrateUp(old.url, () => {}, { dir: before })
      await appendAudit(pool, [entry(9, 1), entry(9, 2), entry(9, 3)])
      await migrateUp(old.url)
      const { rows } = await pool.query<{ seq: string }>('SELECT seq FROM audit_chain_shards WHERE shard = 0')
      expect(rows[0]!.seq).toBe('3')
      await Promise.all([1, 2, 3, 4].map((n) => appendAudit(pool, [entry(9, 10 + n)])))
      expect(await verifyAuditChain(pool)).toMatchObject({ ok: true, records: 7, firstSeq: 1 })
    } finally {
      await pool.end()
      await old.drop()
      rmSync(before, { recursive: true, force: true })
    }
  })
})
