import type pg from 'pg'
import { type AuditRecord, auditBody, chainHash, GENESIS_HASH } from './chain.ts'

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
      firstSeq: number | undefined
      lastSeq: number | undefined
      /** The first record present is not the first ever written (older years archived): its prev_hash is trusted. */
      anchored: boolean
    }
  | { ok: false; records: number; brokenSeq: number; reason: string }

/**
 * Walks the whole chain in seq order and names the first record that breaks it: a missing or repeated seq, a
 * prev_hash that is not the previous record's hash, a hash that does not match the record's content, or a chain
 * head that points elsewhere than the last record (records removed at the end).
 */
export async function verifyAuditChain(
  pool: Pick<pg.Pool, 'query'>,
  options: { pageSize?: number } = {},
): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 5_000
  let records = 0
  let previous: AuditRecord | undefined
  let firstSeq: number | undefined
  let anchored = false
  let cursor: { seq: string; occurredAt: string } | undefined
  for (;;) {
    const { rows } = await pool.query<RecordRow & { occurred_at_raw: string }>(
      `SELECT ${RECORD_COLUMNS}, occurred_at::text AS occurred_at_raw FROM audit_records
        WHERE $1::bigint IS NULL OR (seq, occurred_at) > ($1::bigint, $2::timestamptz)
        ORDER BY seq, occurred_at LIMIT $3`,
      [cursor?.seq ?? null, cursor?.occurredAt ?? null, pageSize],
    )
    for (const row of rows) {
      const record = recordOf(row)
      records++
      if (!previous) {
        firstSeq = record.seq
        if (record.seq === 1 && record.prevHash !== GENESIS_HASH) {
          return {
            ok: false,
            records,
            brokenSeq: record.seq,
            reason: 'the first record does not start the chain',
          }
        }
        anchored = record.seq !== 1
      } else {
        if (record.seq === previous.seq) {
          return { ok: false, records, brokenSeq: record.seq, reason: `seq ${record.seq} appears twice` }
        }
        if (record.seq !== previous.seq + 1) {
          const missing =
            record.seq === previous.seq + 2 ? `${previous.seq + 1}` : `${previous.seq + 1}–${record.seq - 1}`
          return {
            ok: false,
            records,
            brokenSeq: record.seq,
            reason: `record(s) ${missing} missing before it`,
          }
        }
        if (record.prevHash !== previous.hash) {
          return {
            ok: false,
            records,
            brokenSeq: record.seq,
            reason: 'its prev_hash is not the hash of the record before it',
          }
        }
      }
      if (chainHash(record.prevHash, record.seq, auditBody(record)) !== record.hash) {
        return { ok: false, records, brokenSeq: record.seq, reason: 'its content does not match its hash' }
      }
      previous = record
    }
    const last = rows.at(-1)
    if (!last || rows.length < pageSize) break
    cursor = { seq: last.seq, occurredAt: last.occurred_at_raw }
  }
  const { rows: heads } = await pool.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM audit_chain_head',
  )
  const head = heads[0]
  const headSeq = Number(head?.seq ?? 0)
  const lastSeq = previous?.seq ?? 0
  if (headSeq !== lastSeq || (previous && head?.hash !== previous.hash)) {
    return {
      ok: false,
      records,
      brokenSeq: Math.min(headSeq, lastSeq + 1),
      reason: `the chain head is at seq ${headSeq} but the records end at seq ${lastSeq}`,
    }
  }
  return { ok: true, records, firstSeq, lastSeq: previous?.seq, anchored }
}
