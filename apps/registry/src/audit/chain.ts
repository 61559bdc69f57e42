import { createHash } from 'node:crypto'

/** What one audit record says (federation-duties §4: TIMESTAMP … API_CALL_DETAILS), before it joins the chain. */
export interface AuditEntry {
  /** Time of the incoming call: ISO 8601 in UTC with microseconds (`2025-03-01T10:00:00.123456Z`). */
  occurredAt: string
  /** SHA-256 (hex) of the access token; null when the call carried none. */
  tokenHash: string | null
  clientId: string | null
  method: string
  /** Path and query of the request. */
  url: string
  status: number
  /** Per-endpoint details (message ids, attachment ids, digests …), canonical (see `canonicalize`). */
  details: Record<string, unknown>
  /** The request id (x-correlation-id), to find the call in the logs. */
  correlationId: string | null
}

/** A stored record: the entry, its place in the chain and its hashes. */
export interface AuditRecord extends AuditEntry {
  seq: number
  prevHash: string
  hash: string
}

/** prev_hash of the first record ever written. */
export const GENESIS_HASH = '0'.repeat(64)

/**
 * A JSON value with object keys sorted (recursively) and without `undefined`: the same data always serialises to
 * the same text, before it is stored and after it is read back from jsonb.
 */
export function canonicalize(value: unknown): unknown {
  const plain = JSON.parse(JSON.stringify(value ?? null)) as unknown
  return sortKeys(plain)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((key) => [key, sortKeys(object[key])]),
    )
  }
  return value
}

/** The text hashed for a record: its columns in a fixed order, details canonical. */
export function auditBody(entry: AuditEntry): string {
  return JSON.stringify([
    entry.occurredAt,
    entry.tokenHash,
    entry.clientId,
    entry.method,
    entry.url,
    entry.status,
    entry.correlationId,
    canonicalize(entry.details),
  ])
}

/** hash = sha256_hex(prev_hash "\n" seq "\n" body): the same formula as `audit_append` in the database. */
export function chainHash(prevHash: string, seq: number | bigint, body: string): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${body}`, 'utf8').digest('hex')
}

// Wall-clock time with microsecond resolution: Date.now() re-anchored every second, hrtime in between (so the
// monotonic clock never drifts from the wall clock by more than a second's worth of drift).
let anchor: { wallMs: number; hr: bigint } | undefined

/** Now, in microseconds since the epoch (UTC). */
export function auditMicros(): bigint {
  const hr = process.hrtime.bigint()
  if (!anchor || hr - anchor.hr > 1_000_000_000n) anchor = { wallMs: Date.now(), hr }
  return BigInt(anchor.wallMs) * 1000n + (hr - anchor.hr) / 1000n
}

/** Now, as an audit timestamp (UTC, microseconds). */
export function auditTimestamp(): string {
  return formatMicros(auditMicros())
}

export function formatMicros(micros: bigint): string {
  const millis = micros / 1000n
  const iso = new Date(Number(millis)).toISOString() // …T10:00:00.123Z
  const fraction = String(micros % 1_000_000n).padStart(6, '0')
  return `${iso.slice(0, 19)}.${fraction}Z`
}
