import { randomUUID } from 'node:crypto'
import type pg from 'pg'

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
