import { randomUUID } from 'node:crypto'
import type pg from 'pg'

/**
 * The outbox of EES events (migration 0005): queued in the transaction of the change that caused them, claimed and
 * settled by the worker's delivery loop, purged by its scheduler.
 */

export type EesEventType = 'newDocument' | 'readDocument' | 'newDocumentReminder' | 'documentExpirationAlert'

/** What an EES v2 event says of a message (federation-duties §2.2). */
export interface EesMessageFacts {
  enterpriseId: string
  messageId: string
  receiptDate: string
  expirationDate: string
  registeredMail: boolean
  messageTypeId?: string
  senderOrganizationId?: string
  senderApplicationId?: string
}

/**
 * Queues an event in the caller's transaction, so it exists exactly when the change that caused it does.
 * A second event of the same type for the same message is ignored (each fires at most once).
 * Returns whether a new event was queued.
 */
export async function enqueueEvent(
  client: pg.PoolClient,
  eventType: EesEventType,
  facts: EesMessageFacts,
): Promise<boolean> {
  // EES knows enterprise e-Boxes only: a citizen's SSIN here is a caller's mistake, not an event to send.
  if (!/^[0-9]{10}$/.test(facts.enterpriseId)) {
    throw new Error(`EES events need a 10-digit enterpriseId, got "${facts.enterpriseId}"`)
  }
  const eventId = randomUUID()
  const payload = { eventType, eventCorrelationId: eventId, ...facts }
  const result = await client.query(
    `INSERT INTO outbox_events (event_id, message_id, event_type, payload)
     VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, event_type) DO NOTHING`,
    [eventId, facts.messageId, eventType, payload],
  )
  return result.rowCount === 1
}

// Delivery (worker/delivery.ts) ------------------------------------------------------------------------------------

type Db = Pick<pg.Pool, 'query'>

export interface ClaimedEvent {
  eventId: string
  messageId: string
  eventType: string
  payload: Record<string, unknown>
  /** Including this one. */
  attempts: number
}

export interface ClaimedRow {
  event_id: string
  message_id: string
  event_type: string
  payload: Record<string, unknown>
  attempts: number
  created_at: Date
}

/**
 * Takes up to `batchSize` due events for `claimId` with `FOR UPDATE SKIP LOCKED` (several workers never take the
 * same row), counts the attempt and pushes next_attempt_at to the end of the lease, in one statement.
 */
export async function claimDueEvents(
  db: Db,
  now: Date,
  claimId: string,
  options: { batchSize: number; leaseMs: number },
): Promise<ClaimedRow[]> {
  const { rows } = await db.query<ClaimedRow>(
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
  return rows
}

/** Whoever holds the claim now: once EES has the event, no one needs to send it again. */
export async function markDelivered(db: Db, eventIds: readonly string[], at: Date): Promise<void> {
  await db.query(
    `UPDATE outbox_events
        SET status = 'delivered', delivered_at = $2, finished_at = $2, claim_id = NULL, last_error = NULL
      WHERE event_id = ANY($1::uuid[]) AND status = 'pending'`,
    [eventIds, at],
  )
}

export interface DeliveryFailure {
  eventId: string
  nextAttemptAt: Date
  error: string
}

/** Failed events of the claim: pending again at their next attempt, or dead after `maxAttempts`. */
export async function recordFailures(
  db: Db,
  claimId: string,
  maxAttempts: number,
  at: Date,
  failures: readonly DeliveryFailure[],
): Promise<{ status: string }[]> {
  const { rows } = await db.query<{ status: string }>(
    `UPDATE outbox_events o
        SET status = CASE WHEN o.attempts >= $5 THEN 'dead' ELSE 'pending' END,
            finished_at = CASE WHEN o.attempts >= $5 THEN $4::timestamptz END,
            next_attempt_at = u.next_attempt_at, last_error = u.error, claim_id = NULL
       FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(event_id, next_attempt_at, error)
      WHERE o.event_id = u.event_id AND o.claim_id = $6 AND o.status = 'pending'
     RETURNING o.status`,
    [
      failures.map((failure) => failure.eventId),
      failures.map((failure) => failure.nextAttemptAt),
      failures.map((failure) => failure.error),
      at,
      maxAttempts,
      claimId,
    ],
  )
  return rows
}

/** Cancels the claimed events whose message is no longer unread (or gone); returns their ids. */
export async function cancelUnlessUnread(
  db: Db,
  claimId: string,
  eventIds: readonly string[],
  now: Date,
): Promise<{ event_id: string }[]> {
  const { rows } = await db.query<{ event_id: string }>(
    `UPDATE outbox_events o
        SET status = 'cancelled', finished_at = $3, claim_id = NULL, last_error = 'message read before delivery'
      WHERE o.event_id = ANY($1::uuid[]) AND o.claim_id = $2 AND o.status = 'pending'
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = o.message_id AND m.read_at IS NULL)
     RETURNING o.event_id`,
    [eventIds, claimId, now],
  )
  return rows
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

/** Backlog, age of the oldest pending event and dead letters (worker metrics, over migration 0005's indexes). */
export async function outboxBacklog(
  db: Db,
): Promise<{ pending: number; oldestSeconds: number; dead: number }> {
  const { rows } = await db.query<{ pending: string; oldest: number | null; dead: string }>(
    `SELECT (SELECT count(*) FROM outbox_events WHERE status = 'pending') AS pending,
            (SELECT extract(epoch FROM now() - min(created_at)) FROM outbox_events WHERE status = 'pending')::float8 AS oldest,
            (SELECT count(*) FROM outbox_events WHERE status = 'dead') AS dead`,
  )
  return {
    pending: Number(rows[0]?.pending ?? 0),
    oldestSeconds: Math.max(0, rows[0]?.oldest ?? 0),
    dead: Number(rows[0]?.dead ?? 0),
  }
}
