import { createHash } from 'node:crypto'
import type pg from 'pg'
import { type AuditRecord, auditBody, chainHash, GENESIS_HASH } from './chain.ts'
import { anchorHeadsText, SHARD_COUNT, SHARD_SPAN } from './shards.ts'

/** The columns of a record as the chain hashed them (occurred_at back in its UTC microsecond form). */
export const RECORD_COLUMNS = `seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
  token_hash, client_id, method, url, status, details, correlation_id, prev_hash, hash`

export interface RecordRow {
  seq: string
  occurred_at: string
  token_hash: string | null
  client_id: string | null
  method: string
  url: string
  status: number
  details: Record<string, unknown>
  correlation_id: string | null
  prev_hash: string
  hash: string
}

export function recordOf(row: RecordRow): AuditRecord {
  return {
    seq: Number(row.seq),
    occurredAt: row.occurred_at,
    tokenHash: row.token_hash,
    clientId: row.client_id,
    method: row.method,
    url: row.url,
    status: row.status,
    details: row.details,
    correlationId: row.correlation_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  }
}

export type VerifyResult =
  | {
      ok: true
      records: number
      /** The shards that hold records, in order. */
      shards: number
      /** seq of the first and last record of shard 0 (the records written before sharding are its history). */
      firstSeq: number | undefined
      lastSeq: number | undefined
      /** A shard's first record present is not its first ever written (older years archived): its prev_hash is trusted. */
      anchored: boolean
      /** Anchors checked (every shard's head recorded by the worker; migration 0011). */
      anchors: number
    }
  | { ok: false; records: number; brokenSeq: number; reason: string }

type Broken = Extract<VerifyResult, { ok: false }>

/**
 * Walks every shard's chain in seq order and names the first record that breaks it: a missing or repeated seq, a
 * prev_hash that is not the previous record's hash, a hash that does not match the record's content, a shard head
 * that points elsewhere than the shard's last record (records removed at the end), a record outside every shard;
 * then checks the anchors: their own chain, and that every shard still holds the record each anchor recorded as
 * its head (a tail removed together with its head row).
 */
export async function verifyAuditChain(
  pool: Pick<pg.Pool, 'query'>,
  options: { pageSize?: number } = {},
): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 5_000
  let records = 0
  let anchored = false
  let shards = 0
  let shardZero: { first: number | undefined; last: number | undefined } = {
    first: undefined,
    last: undefined,
  }
  const broken = (brokenSeq: number, reason: string): Broken => ({ ok: false, records, brokenSeq, reason })

  const { rows: stray } = await pool.query<{ seq: string }>(
    'SELECT seq FROM audit_records WHERE seq < 1 OR seq > $1 ORDER BY seq LIMIT 1',
    [SHARD_COUNT * SHARD_SPAN],
  )
  if (stray[0]) return broken(Number(stray[0].seq), 'its seq belongs to no shard')

  const { rows: heads } = await pool.query<{ shard: string; seq: string; hash: string }>(
    'SELECT shard, seq, hash FROM audit_chain_shards ORDER BY shard',
  )
  for (const head of heads) {
    const shard = Number(head.shard)
    const base = shard * SHARD_SPAN
    let previous: AuditRecord | undefined
    let first: number | undefined
    let cursor: { seq: string; occurredAt: string } | undefined
    for (;;) {
      const { rows } = await pool.query<RecordRow & { occurred_at_raw: string }>(
        `SELECT ${RECORD_COLUMNS}, occurred_at::text AS occurred_at_raw FROM audit_records
          WHERE seq > $1::bigint AND seq <= $1::bigint + $2::bigint
            AND ($3::bigint IS NULL OR (seq, occurred_at) > ($3::bigint, $4::timestamptz))
          ORDER BY seq, occurred_at LIMIT $5`,
        [base, SHARD_SPAN, cursor?.seq ?? null, cursor?.occurredAt ?? null, pageSize],
      )
      for (const row of rows) {
        const record = recordOf(row)
        records++
        const where = shard === 0 ? '' : ` (shard ${shard})`
        if (!previous) {
          first = record.seq
          if (record.seq === base + 1 && record.prevHash !== GENESIS_HASH) {
            return broken(record.seq, `the first record does not start the chain${where}`)
          }
          if (record.seq !== base + 1) anchored = true
        } else {
          if (record.seq === previous.seq)
            return broken(record.seq, `seq ${record.seq} appears twice${where}`)
          if (record.seq !== previous.seq + 1) {
            const missing =
              record.seq === previous.seq + 2
                ? `${previous.seq + 1}`
                : `${previous.seq + 1}–${record.seq - 1}`
            return broken(record.seq, `record(s) ${missing} missing before it${where}`)
          }
          if (record.prevHash !== previous.hash) {
            return broken(record.seq, `its prev_hash is not the hash of the record before it${where}`)
          }
        }
        if (chainHash(record.prevHash, record.seq, auditBody(record)) !== record.hash) {
          return broken(record.seq, `its content does not match its hash${where}`)
        }
        previous = record
      }
      const last = rows.at(-1)
      if (!last || rows.length < pageSize) break
      cursor = { seq: last.seq, occurredAt: last.occurred_at_raw }
    }
    const headSeq = Number(head.seq)
    const lastSeq = previous?.seq ?? base
    if (headSeq !== lastSeq || (previous && head.hash !== previous.hash)) {
      return broken(
        Math.min(headSeq, lastSeq + 1),
        `the head of shard ${shard} is at seq ${headSeq} but its records end at seq ${lastSeq}`,
      )
    }
    if (previous) shards++
    if (shard === 0) shardZero = { first, last: previous?.seq }
  }

  const anchors = await verifyAnchors(pool, pageSize)
  if (typeof anchors !== 'number') return { ...anchors, records }
  return { ok: true, records, shards, firstSeq: shardZero.first, lastSeq: shardZero.last, anchored, anchors }
}

/** The anchors' own chain, and every anchored head still present with its hash. Returns how many were checked. */
async function verifyAnchors(pool: Pick<pg.Pool, 'query'>, pageSize: number): Promise<number | Broken> {
  let previousHash = GENESIS_HASH
  let previousId = 0
  let count = 0
  for (;;) {
    const { rows } = await pool.query<{
      id: string
      heads: { shard: number; seq: string; hash: string }[]
      prev_hash: string
      hash: string
    }>('SELECT id, heads, prev_hash, hash FROM audit_anchors WHERE id > $1 ORDER BY id LIMIT $2', [
      previousId,
      pageSize,
    ])
    for (const anchor of rows) {
      const id = Number(anchor.id)
      const firstHead = Number(anchor.heads[0]?.seq ?? 0)
      const fail = (reason: string): Broken => ({ ok: false, records: 0, brokenSeq: firstHead, reason })
      if (count > 0 && id !== previousId + 1) return fail(`anchor(s) ${previousId + 1}–${id - 1} missing`)
      // The first anchor present may follow archived ones: its prev_hash is trusted, like a shard's first record.
      if (count > 0 && anchor.prev_hash !== previousHash)
        return fail(`anchor ${id} does not follow anchor ${previousId}`)
      const expected = createHash('sha256')
        .update(`${anchor.prev_hash}\n${id}\n${anchorHeadsText(anchor.heads)}`, 'utf8')
        .digest('hex')
      if (expected !== anchor.hash) return fail(`anchor ${id}'s content does not match its hash`)
      previousHash = anchor.hash
      previousId = id
      count++
    }
    if (rows.length < pageSize) break
  }
  // Every head an anchor recorded must still be there, with the same hash (one query; uses the primary key) —
  // unless it is older than the shard's first record present (a year archived: that record is trusted, as above).
  const { rows: lost } = await pool.query<{ id: string; shard: number; seq: string; found: string | null }>(
    `WITH firsts AS (
       SELECT s.shard, coalesce((SELECT min(seq) FROM audit_records
                                  WHERE seq > s.shard * $1::bigint AND seq <= (s.shard + 1) * $1::bigint),
                                s.shard * $1::bigint + 1) AS first_seq
         FROM audit_chain_shards s)
     SELECT a.id, h.shard, h.seq, r.hash AS found
       FROM audit_anchors a
       CROSS JOIN LATERAL jsonb_to_recordset(a.heads) AS h(shard int, seq bigint, hash text)
       JOIN firsts f ON f.shard = h.shard
       LEFT JOIN audit_records r ON r.seq = h.seq
      WHERE h.seq >= f.first_seq AND r.hash IS DISTINCT FROM h.hash
      ORDER BY h.seq LIMIT 1`,
    [SHARD_SPAN],
  )
  const missing = lost[0]
  if (missing) {
    const what = missing.found === null ? 'is missing' : 'has another hash'
    return {
      ok: false,
      records: 0,
      brokenSeq: Number(missing.seq),
      reason: `anchor ${missing.id} recorded it as the head of shard ${missing.shard}, but it ${what}`,
    }
  }
  return count
}
