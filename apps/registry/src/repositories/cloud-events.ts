import type pg from 'pg'

/**
 * The federation's CloudEvents already received (migrations/0005_federation.sql): each (source, id) is applied
 * once. All three run in the transaction that applies the event.
 */
export interface ReceivedCloudEvent {
  source: string
  id: string
  type: string
}

/**
 * Records the event as received (not yet applied); false when it was received before (a redelivery, to be
 * answered as the first time). Ids are kept 30 days: an older redelivery is stale by its time anyway.
 */
export async function recordFirstDelivery(
  client: pg.PoolClient,
  event: ReceivedCloudEvent,
  time: Date,
): Promise<boolean> {
  const first = await client.query(
    `INSERT INTO processed_cloud_events (source, event_id, event_type, event_time, applied)
     VALUES ($1, $2, $3, $4, false) ON CONFLICT (source, event_id) DO NOTHING`,
    [event.source, event.id, event.type, time],
  )
  if (first.rowCount !== 1) return false
  await client.query(`DELETE FROM processed_cloud_events WHERE processed_at < now() - interval '30 days'`)
  return true
}

/** The event changed something (it was not stale). */
export async function markApplied(client: pg.PoolClient, event: ReceivedCloudEvent): Promise<void> {
  await client.query('UPDATE processed_cloud_events SET applied = true WHERE source = $1 AND event_id = $2', [
    event.source,
    event.id,
  ])
}
