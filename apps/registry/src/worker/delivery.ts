import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { EesClient } from './ees-client.ts'

export interface DeliveryOptions {
  /** Events claimed at once and posted in one EES request (a JSON array). */
  batchSize: number
  /** How long a claim keeps other workers away; after it the events are due again (a dead worker's batch). */
  leaseMs: number
  /** After this many attempts an event is dead-lettered (status `dead`) instead of retried. */
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
}

export interface ClaimedEvent {
  eventId: string
  messageId: string
  eventType: string
  payload: Record<string, unknown>
  /** Including this one. */
  attempts: number
}

export interface BatchReport {
  claimed: number
  delivered: number
  /** Reminders and alerts not sent because their message was read in the meantime. */
  cancelled: number
  retried: number
  dead: number
  /** One line per failed EES request, for the log. */
  errors: string[]
}

export interface DeliveryHooks {
  /** Called between the claim and the POST (tests stop a worker there). */
  afterClaim?(events: readonly ClaimedEvent[]): Promise<void> | void
  /** Each EES request and its outcome (metrics). */
  onPost?(size: number, outcome: 'accepted' | 'duplicate' | 'failed'): void
}

/**
 * Claims due events with `FOR UPDATE SKIP LOCKED` (several workers never take the same row), counts the attempt
 * and pushes next_attempt_at to the end of a lease — in one short statement, so no transaction stays open
 * during the POST. A worker that dies holding a claim leaves the lease to expire; the events are then due again.
 */
export async function claimBatch(
  pool: Pick<pg.Pool, 'query'>,
  now: Date,
  options: Pick<DeliveryOptions, 'batchSize' | 'leaseMs'>,
): Promise<{ claimId: string; events: ClaimedEvent[] }> {
  const claimId = randomUUID()
  const { rows } = await pool.query<{
    event_id: string
    message_id: string
    event_type: string
    payload: Record<string, unknown>
    attempts: number
    created_at: Date
  }>(
    `WITH due AS (
       SELECT event_id FROM outbox_events
        WHERE status = 'pending' AND next_attempt_at <= $1
        ORDER BY next_attempt_at, created_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED)
     UPDATE outbox_events o
        SET claim_id = $3, attempts = o.attempts + 1, next_attempt_at = $1::timestamptz + make_interval(secs => $4 / 1000.0)
       FROM due WHERE o.event_id = due.event_id
     RETURNING o.event_id, o.message_id, o.event_type, o.payload, o.attempts, o.created_at`,
    [now, options.batchSize, claimId, options.leaseMs],
  )
  // Oldest first, so that a message's newDocument goes before its readDocument when both are due.
  const events = rows
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.event_id.localeCompare(b.event_id))
    .map((row) => ({
      eventId: row.event_id,
      messageId: row.message_id,
      eventType: row.event_type,
      payload: row.payload,
      attempts: row.attempts,
    }))
  return { claimId, events }
}

/**
 * One round: claim a batch, drop reminders and alerts whose message has been read since, POST the rest, record
 * the outcome. 2xx → delivered. 409 → delivered when the batch was a single event; a larger batch is split and each
 * event posted alone, so that one event seen before cannot hide new ones. Anything else → retried after an
 * exponential back-off with jitter, or dead after `maxAttempts`.
 */
export async function deliverBatch(
  pool: Pick<pg.Pool, 'query'>,
  ees: EesClient,
  now: () => Date,
  options: DeliveryOptions,
  hooks: DeliveryHooks = {},
  random: () => number = Math.random,
): Promise<BatchReport> {
  const report: BatchReport = { claimed: 0, delivered: 0, cancelled: 0, retried: 0, dead: 0, errors: [] }
  const { claimId, events } = await claimBatch(pool, now(), options)
  report.claimed = events.length
  if (events.length === 0) return report

  const cancelled = await cancelReadReminders(pool, claimId, events, now())
  report.cancelled = cancelled.size
  const sendable = events.filter((event) => !cancelled.has(event.eventId))
  if (sendable.length === 0) return report

  await hooks.afterClaim?.(sendable)
  const failures = new Map<string, string>()
  const delivered: string[] = []
  const post = async (batch: ClaimedEvent[]) => {
    const result = await ees.post(batch.map((event) => event.payload))
    hooks.onPost?.(batch.length, result.outcome)
    if (result.outcome === 'accepted' || (result.outcome === 'duplicate' && batch.length === 1)) {
      delivered.push(...batch.map((event) => event.eventId))
    } else if (result.outcome === 'duplicate') {
      for (const event of batch) await post([event])
    } else {
      report.errors.push(result.error)
      for (const event of batch) failures.set(event.eventId, result.error)
    }
  }
  await post(sendable)

  if (delivered.length > 0) {
    // Whoever holds the claim now: once EES has the event, no one needs to send it again.
    await pool.query(
      `UPDATE outbox_events
          SET status = 'delivered', delivered_at = $2, finished_at = $2, claim_id = NULL, last_error = NULL
        WHERE event_id = ANY($1::uuid[]) AND status = 'pending'`,
      [delivered, now()],
    )
    report.delivered = delivered.length
  }
  if (failures.size > 0) {
    const failed = sendable.filter((event) => failures.has(event.eventId))
    const at = now()
    const { rows } = await pool.query<{ status: string }>(
      `UPDATE outbox_events o
          SET status = CASE WHEN o.attempts >= $5 THEN 'dead' ELSE 'pending' END,
              finished_at = CASE WHEN o.attempts >= $5 THEN $4::timestamptz END,
              next_attempt_at = u.next_attempt_at, last_error = u.error, claim_id = NULL
         FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(event_id, next_attempt_at, error)
        WHERE o.event_id = u.event_id AND o.claim_id = $6 AND o.status = 'pending'
       RETURNING o.status`,
      [
        failed.map((event) => event.eventId),
        failed.map((event) => new Date(at.getTime() + backoffMs(event.attempts, options, random))),
        failed.map((event) => failures.get(event.eventId)?.slice(0, 1000) ?? 'failed'),
        at,
        options.maxAttempts,
        claimId,
      ],
    )
    report.dead = rows.filter((row) => row.status === 'dead').length
    report.retried = rows.length - report.dead
  }
  return report
}

/** "Equal jitter": half of the capped exponential delay, plus a random part of the other half. */
export function backoffMs(
  attempts: number,
  options: Pick<DeliveryOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
  random: () => number = Math.random,
): number {
  const exponential = options.backoffBaseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30)
  const capped = Math.min(options.backoffMaxMs, exponential)
  return Math.round(capped / 2 + random() * (capped / 2))
}

const SCHEDULED_TYPES = new Set(['newDocumentReminder', 'documentExpirationAlert'])

/** "Never for read messages": a reminder or alert claimed after its message was read is cancelled, not sent. */
async function cancelReadReminders(
  pool: Pick<pg.Pool, 'query'>,
  claimId: string,
  events: readonly ClaimedEvent[],
  now: Date,
): Promise<Set<string>> {
  const scheduled = events
    .filter((event) => SCHEDULED_TYPES.has(event.eventType))
    .map((event) => event.eventId)
  if (scheduled.length === 0) return new Set()
  const { rows } = await pool.query<{ event_id: string }>(
    `UPDATE outbox_events o
        SET status = 'cancelled', finished_at = $3, claim_id = NULL, last_error = 'message read before delivery'
      WHERE o.event_id = ANY($1::uuid[]) AND o.claim_id = $2 AND o.status = 'pending'
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = o.message_id AND m.read_at IS NULL)
     RETURNING o.event_id`,
    [scheduled, claimId, now],
  )
  return new Set(rows.map((row) => row.event_id))
}

/** Dead letters back to pending (after the cause is fixed): `registry worker requeue-dead`. */
export async function requeueDead(pool: Pick<pg.Pool, 'query'>, now: Date): Promise<number> {
  const result = await pool.query(
    `UPDATE outbox_events SET status = 'pending', attempts = 0, next_attempt_at = $1, finished_at = NULL
      WHERE status = 'dead'`,
    [now],
  )
  return result.rowCount ?? 0
}
