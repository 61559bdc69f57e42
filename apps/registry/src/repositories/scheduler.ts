import type pg from 'pg'
import { inTransaction } from '../db/pool.ts'

/** The reminder and alert rules (federation-duties §2.1); docs/contract-decisions.md says how days are counted. */
export const SCHEDULE = {
  /** newDocumentReminder: this many calendar days (Europe/Brussels) after publication, if still unread. */
  reminderAfterDays: 15,
  /** documentExpirationAlert: this many calendar days before expiry if still unread; at once when published later. */
  alertBeforeDays: 7,
  /**
   * Each run looks back this far before the previous one, so that a message committed a little after the time it
   * carries (a slow transaction, clock skew between processes) is still seen. Duplicates are impossible anyway.
   */
  overlapMinutes: 10,
} as const

const JOB = 'ees-scheduled-events'

export interface SchedulerRun {
  reminders: number
  alerts: number
}

// $1 now, $2 end of the previous run, $3 days, $4 overlap minutes.
export const QUEUE_REMINDERS = `
  INSERT INTO outbox_events (event_id, message_id, event_type, payload, next_attempt_at)
  SELECT d.id, (d.m).message_id, 'newDocumentReminder', ees_event_payload(d.m, 'newDocumentReminder', d.id), $1
    FROM (SELECT gen_random_uuid() AS id, m FROM messages m
           WHERE m.read_at IS NULL AND m.recipient_type = 'enterprise'
             AND m.published_at <= brussels_add_days($1, -$3::int)
             AND m.published_at > brussels_add_days($2, -$3::int) - make_interval(mins => $4::int)
             AND m.expires_at > $1) AS d
  ON CONFLICT (message_id, event_type) DO NOTHING`

// Due at expires_at − 7 days, or at publication when that is later: the first branch walks the expiry index, the
// second the messages published since the previous run that are already within 7 days of expiry.
export const QUEUE_ALERTS = `
  INSERT INTO outbox_events (event_id, message_id, event_type, payload, next_attempt_at)
  SELECT d.id, (d.m).message_id, 'documentExpirationAlert', ees_event_payload(d.m, 'documentExpirationAlert', d.id), $1
    FROM (SELECT gen_random_uuid() AS id, m FROM messages m
           WHERE m.read_at IS NULL AND m.recipient_type = 'enterprise'
             AND m.expires_at > $1
             AND m.expires_at <= brussels_add_days($1, $3::int)
             AND (m.expires_at > brussels_add_days($2, $3::int) - make_interval(mins => $4::int)
                  OR m.published_at > $2::timestamptz - make_interval(mins => $4::int))) AS d
  ON CONFLICT (message_id, event_type) DO NOTHING`

/**
 * Queues the reminders and expiration alerts that became due since the previous run — unread messages of
 * enterprise e-Boxes only — with ON CONFLICT (message_id, event_type) DO NOTHING: running twice, or in two
 * replicas at once, queues nothing twice. The job's row in scheduler_state is taken with SKIP LOCKED, so a second
 * replica skips the run while the first holds it (returns undefined). Both queries range over the partial indexes
 * of unread messages (migration 0005) between the previous run and `now`: a run costs what became due, not the
 * number of unread messages. `now` is the caller's clock (tests move it).
 */
export async function runScheduler(pool: pg.Pool, now: Date): Promise<SchedulerRun | undefined> {
  return inTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO scheduler_state (job, covered_until) VALUES ($1, '-infinity') ON CONFLICT (job) DO NOTHING`,
      [JOB],
    )
    // As text: '-infinity' before the first run goes back to PostgreSQL unchanged.
    const { rows } = await client.query<{ covered_until: string }>(
      'SELECT covered_until::text AS covered_until FROM scheduler_state WHERE job = $1 FOR UPDATE SKIP LOCKED',
      [JOB],
    )
    const state = rows[0]
    if (!state) return undefined
    const since = state.covered_until
    const reminders = await client.query(QUEUE_REMINDERS, [
      now,
      since,
      SCHEDULE.reminderAfterDays,
      SCHEDULE.overlapMinutes,
    ])
    const alerts = await client.query(QUEUE_ALERTS, [
      now,
      since,
      SCHEDULE.alertBeforeDays,
      SCHEDULE.overlapMinutes,
    ])
    await client.query(
      'UPDATE scheduler_state SET covered_until = greatest(covered_until, $2), updated_at = now() WHERE job = $1',
      [JOB, now],
    )
    return { reminders: reminders.rowCount ?? 0, alerts: alerts.rowCount ?? 0 }
  })
}

/** The audit partitions of this year and the next exist before anyone writes in them (migration 0005). */
export async function ensureAuditPartitions(pool: Pick<pg.Pool, 'query'>, now: Date): Promise<void> {
  await pool.query(
    `SELECT audit_ensure_year(y::int)
       FROM generate_series(extract(year FROM $1::timestamptz AT TIME ZONE 'Europe/Brussels')::int,
                            extract(year FROM $1::timestamptz AT TIME ZONE 'Europe/Brussels')::int + 1) AS y`,
    [now],
  )
}

/**
 * Records every audit shard's head in the anchor chain (migration 0011), unless nothing was appended since the
 * last anchor: a shard tail removed later is detected by `registry audit verify`. Returns the anchor's id.
 */
export async function anchorAuditChain(pool: Pick<pg.Pool, 'query'>): Promise<number | undefined> {
  const { rows } = await pool.query<{ id: string | null }>('SELECT audit_anchor() AS id')
  const id = rows[0]?.id
  return id === null || id === undefined ? undefined : Number(id)
}

/**
 * Deletes delivered and cancelled events finished more than `retentionDays` ago whose message has expired or is
 * gone — at most `limit` per call. Nothing can queue such an event again (publication is over, the message is read
 * or can no longer be reminded of), so the at-most-once rule loses nothing. Returns how many were deleted.
 */
export async function purgeOutbox(
  pool: Pick<pg.Pool, 'query'>,
  now: Date,
  retentionDays: number,
  limit = 10_000,
): Promise<number> {
  const result = await pool.query(
    `DELETE FROM outbox_events WHERE event_id IN (
       SELECT o.event_id FROM outbox_events o
        WHERE o.status IN ('delivered', 'cancelled')
          AND o.finished_at < $1::timestamptz - make_interval(days => $2::int)
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.message_id = o.message_id AND m.expires_at > $1)
        LIMIT $3)`,
    [now, retentionDays, limit],
  )
  return result.rowCount ?? 0
}
