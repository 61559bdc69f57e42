import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import {
  type ClaimedEvent,
  cancelUnlessUnread,
  claimDueEvents,
  markDelivered,
  recordFailures,
} from '../repositories/outbox.ts'
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
 * Claims due events, skipping rows another worker has locked (so several workers never take the same row), counts the attempt
 * and pushes next_attempt_at to the end of a lease — in one short statement, so no transaction stays open
 * during the POST. A worker that dies holding a claim leaves the lease to expire; the events are then due again.
 */
export async function claimBatch(
  pool: Pick<pg.Pool, 'query'>,
  now: Date,
  options: Pick<DeliveryOptions, 'batchSize' | 'leaseMs'>,
): Promise<{ claimId: string; events: ClaimedEvent[] }> {
  const claimId = randomUUID()
  const rows = await claimDueEvents(pool, now, claimId, options)
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
  const failures = new Map<string, { error: string; retryAfterMs?: number }>()
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
      const failure = { error: result.error, retryAfterMs: result.retryAfterMs }
      for (const event of batch) failures.set(event.eventId, failure)
    }
  }
  await post(sendable)

  if (delivered.length > 0) {
    // Whoever holds the claim now: once EES has the event, no one needs to send it again.
    await markDelivered(pool, delivered, now())
    report.delivered = delivered.length
  }
  if (failures.size > 0) {
    const failed = sendable.filter((event) => failures.has(event.eventId))
    const at = now()
    const rows = await recordFailures(pool, claimId, options.maxAttempts, at, [
      ...failed.map((event) => {
        const failure = failures.get(event.eventId)
        // EES's Retry-After, when it gave one, is a floor (capped like the back-off): never sooner than it asked.
        const asked = Math.min(failure?.retryAfterMs ?? 0, options.backoffMaxMs)
        return {
          eventId: event.eventId,
          nextAttemptAt: new Date(at.getTime() + Math.max(asked, backoffMs(event.attempts, options, random))),
          error: failure?.error.slice(0, 1000) ?? 'failed',
        }
      }),
    ])
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
  const rows = await cancelUnlessUnread(pool, claimId, scheduled, now)
  return new Set(rows.map((row) => row.event_id))
}
