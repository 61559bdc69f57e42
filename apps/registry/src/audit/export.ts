import type pg from 'pg'
import { RECORD_COLUMNS, type RecordRow, recordOf } from './verify.ts'

/** One exported record: the federation's keys (federation-duties §4), then the chain. */
export interface ExportedAuditRecord {
  TIMESTAMP: string
  SUBJECT_TOKEN_HASHED: string | null
  CLIENT_ID: string | null
  API_CALL_REQUEST_METHOD: string
  API_CALL_REQUEST_URL: string
  API_CALL_RESPONSE_CODE: number
  API_CALL_DETAILS: Record<string, unknown>
  CORRELATION_ID: string | null
  SEQ: number
  PREVIOUS_HASH: string
  HASH: string
}

/**
 * Writes the records of calls made in [from, to) as JSON lines, in time order across the chain's shards (then seq). TIMESTAMP is Belgian local time
 * with its offset and microseconds (`2025-03-01T11:00:00.123456+01:00`). Returns how many were written.
 */
export async function exportAudit(
  pool: Pick<pg.Pool, 'query'>,
  range: { from: Date; to: Date },
  writeLine: (line: string) => void | Promise<void>,
  options: { pageSize?: number } = {},
): Promise<number> {
  const pageSize = options.pageSize ?? 5_000
  let count = 0
  let cursor: { seq: string; occurredAt: string } | undefined
  for (;;) {
    const { rows } = await pool.query<RecordRow & { local_time: string; occurred_at_raw: string }>(
      `SELECT ${RECORD_COLUMNS}, occurred_at::text AS occurred_at_raw,
              to_char(occurred_at AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+' ||
              to_char((occurred_at AT TIME ZONE 'Europe/Brussels') - (occurred_at AT TIME ZONE 'UTC'), 'HH24:MI')
                AS local_time
         FROM audit_records
        WHERE occurred_at >= $1 AND occurred_at < $2
          AND ($3::bigint IS NULL OR (occurred_at, seq) > ($4::timestamptz, $3::bigint))
        ORDER BY occurred_at, seq LIMIT $5`,
      [range.from, range.to, cursor?.seq ?? null, cursor?.occurredAt ?? null, pageSize],
    )
    for (const row of rows) {
      const record = recordOf(row)
      const exported: ExportedAuditRecord = {
        TIMESTAMP: row.local_time,
        SUBJECT_TOKEN_HASHED: record.tokenHash,
        CLIENT_ID: record.clientId,
        API_CALL_REQUEST_METHOD: record.method,
        API_CALL_REQUEST_URL: record.url,
        API_CALL_RESPONSE_CODE: record.status,
        API_CALL_DETAILS: record.details,
        CORRELATION_ID: record.correlationId,
        SEQ: record.seq,
        PREVIOUS_HASH: record.prevHash,
        HASH: record.hash,
      }
      await writeLine(JSON.stringify(exported))
      count++
    }
    const last = rows.at(-1)
    if (!last || rows.length < pageSize) return count
    cursor = { seq: last.seq, occurredAt: last.occurred_at_raw }
  }
}

/**
 * A bound given on the command line: a calendar day (`2025-03-01`, midnight Europe/Brussels) or a date-time with
 * an offset (`2025-03-01T10:00:00Z`).
 */
export async function parseBound(
  pool: Pick<pg.Pool, 'query'>,
  name: string,
  value: string | undefined,
): Promise<Date> {
  if (!value) throw new Error(`--${name} is required (YYYY-MM-DD or an ISO 8601 date-time with offset)`)
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const { rows } = await pool.query<{ at: Date }>(
      `SELECT ($1::date::timestamp AT TIME ZONE 'Europe/Brussels') AS at`,
      [value],
    )
    return rows[0]!.at
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new Error(`--${name} must be YYYY-MM-DD or an ISO 8601 date-time with offset, got "${value}"`)
  }
  return new Date(value)
}
