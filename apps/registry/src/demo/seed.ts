import { messageSearchText, requestedActionOf } from '@ebox/contract'
import { buildDemoDataSet, DEMO, type DemoDataSet, type DemoEbox, type DemoMessage } from '@ebox/demo-data'
import type pg from 'pg'
import { writeBufferContent } from '../db/content-store.ts'
import { inTransaction } from '../db/pool.ts'
import { importReferenceData, parseReferenceDataImport } from '../repositories/reference-data/import.ts'

/** Two loads at once (seed, resets) would interleave their deletes and inserts. */
export const RESET_LOCK = `SELECT pg_advisory_xact_lock(hashtext('ebox-demo-data-set'))`

/**
 * Loads the demo data set (`@ebox/demo-data`) with every date relative to `now`: its reference data, its three
 * e-Boxes with their partitions, and their messages with real content. The e-Boxes of the set are emptied first,
 * so loading again restores exactly the set. One transaction: all or nothing. Used by `registry seed demo`, the
 * quickstart and the tests; the certification reset loads the same set from its file (test-data-load.ts).
 */
export async function seedDemoDataSet(pool: pg.Pool, now: Date = new Date()): Promise<DemoDataSet> {
  const set = buildDemoDataSet(now)
  await inTransaction(pool, async (client) => {
    await client.query(RESET_LOCK)
    await importReferenceData(client, parseReferenceDataImport(set.referenceData))
    for (const ebox of set.eboxes) {
      await emptyEbox(client, ebox.eboxType, ebox.id)
      await writeEbox(client, ebox)
    }
    // In publication order, so that messages of the same second are listed as the set means (publication_seq,
    // migration 0010): by date, then by message id.
    for (const message of inPublicationOrder(set.messages)) await insertDemoMessage(client, message)
  })
  return set
}

/** The e-Box's row and, for an enterprise, exactly its partitions. */
export async function writeEbox(client: pg.PoolClient, ebox: DemoEbox): Promise<void> {
  await client.query(
    `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at) VALUES ($1, $2, $3)
     ON CONFLICT (recipient_type, recipient_id) DO UPDATE SET last_consultation_at = excluded.last_consultation_at`,
    [ebox.eboxType, ebox.id, ebox.lastConsultationAt ?? null],
  )
  if (ebox.eboxType === 'enterprise') {
    await client.query('DELETE FROM partitions WHERE enterprise_number = $1', [ebox.id])
    await client.query(
      `INSERT INTO partitions (enterprise_number, partition_id) SELECT $1, unnest($2::text[])`,
      [ebox.id, ebox.partitions],
    )
  }
}

export function inPublicationOrder(messages: DemoMessage[]): DemoMessage[] {
  return [...messages].sort(
    (a, b) =>
      a.publishedAt.getTime() - b.publishedAt.getTime() ||
      (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0),
  )
}

/** Removes every message of an e-Box, its content and its pending events. */
export async function emptyEbox(client: pg.PoolClient, eboxType: string, id: string): Promise<void> {
  const { rows } = await client.query<{ content_id: string }>(
    `SELECT a.content_id FROM messages m JOIN attachments a USING (message_id)
     WHERE m.recipient_type = $1 AND m.recipient_id = $2`,
    [eboxType, id],
  )
  await client.query(
    `DELETE FROM outbox_events WHERE message_id IN
       (SELECT message_id FROM messages WHERE recipient_type = $1 AND recipient_id = $2)`,
    [eboxType, id],
  )
  await client.query('DELETE FROM messages WHERE recipient_type = $1 AND recipient_id = $2', [eboxType, id])
  await client.query(
    `DELETE FROM contents c WHERE c.content_id = ANY($1::uuid[])
       AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.content_id = c.content_id)`,
    [rows.map((row) => row.content_id)],
  )
}

export async function insertDemoMessage(client: pg.PoolClient, message: DemoMessage): Promise<void> {
  const search = messageSearchText(message)
  const action = requestedActionOf(message.businessDataList)
  const recipientId =
    message.recipient.eboxType === 'enterprise' ? message.recipient.enterpriseNumber : message.recipient.ssin
  await client.query(
    `INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
       sender_partition, sender_application_id, message_type_id, subject, published_at, expires_at, read_at,
       visible, registered_mail, reply_authorized, body_main_content, body, for_attention_ssin,
       for_attention_label, business_data, payment_data, search_nl, search_fr, search_de, published_by_client,
       for_action, action_due_date)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
       $23, $24, 'demo-data', $25, $26)`,
    [
      message.messageId,
      message.recipient.eboxType,
      recipientId,
      message.partitionId ?? 'GENERAL',
      message.sender.enterpriseNumber,
      message.sender.partition ?? null,
      message.senderApplicationId,
      message.messageTypeId,
      JSON.stringify(message.subject),
      message.publishedAt,
      message.expiresAt,
      message.readAt ?? null,
      message.visible,
      message.isRegisteredMail,
      message.isReplyAuthorized,
      message.isBodyMainContent,
      message.bodyContent ? JSON.stringify(message.bodyContent) : null,
      message.forTheAttentionOf?.ssin ?? null,
      message.forTheAttentionOf?.label ?? null,
      JSON.stringify(message.businessDataList),
      message.paymentData
        ? JSON.stringify({ ...message.paymentData, dueDate: message.paymentData.dueDate.toISOString() })
        : null,
      search.nl,
      search.fr,
      search.de,
      action !== undefined,
      action?.dueDate ?? null,
    ],
  )
  for (const [index, attachment] of message.attachments.entries()) {
    const stored = await writeBufferContent(client, attachment.content)
    await client.query(
      `INSERT INTO attachments (message_id, attachment_id, position, title, file_name, main_content, media_type,
         size_bytes, digest, signed, content_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        message.messageId,
        attachment.attachmentId,
        index + 1,
        attachment.attachmentTitle ? JSON.stringify(attachment.attachmentTitle) : null,
        attachment.fileName,
        attachment.isMainContent,
        attachment.mediaType,
        stored.sizeBytes,
        stored.sha256,
        attachment.isAttachmentSigned,
        stored.contentId,
      ],
    )
  }
}

/** Whether the main demo e-Box holds any message (the quickstart seeds only an empty one). */
export async function demoEboxIsEmpty(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM messages WHERE recipient_type = 'enterprise' AND recipient_id = $1) AS empty`,
    [DEMO.enterprise],
  )
  return rows[0]?.empty ?? true
}
