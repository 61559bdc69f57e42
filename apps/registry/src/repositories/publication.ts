import {
  CONTRACT,
  type EboxIdentity,
  fillTranslations,
  type MessageToPublish,
  messageSearchText,
  type PaymentData,
  type TranslatedString,
} from '@ebox/contract'
import type pg from 'pg'
import { isMessageId } from './messages/scope-condition.ts'

/**
 * The SQL of publication (POST /ebox/messages). Every function runs on the request's one transaction, so that a
 * failure anywhere leaves nothing behind (messages, attachments, contents, e-Box row and outbox event alike).
 */

/** What the reference data says of a (sender, application, message type, recipient kind) combination (§6.5). */
export interface SenderConfiguration {
  messageTypeKnown: boolean
  applicationKnown: boolean
  /** The application belongs to the sender organisation. */
  applicationOfSender: boolean
  /** The application may publish the message type to this kind of e-Box (sender_configurations). */
  configured: boolean
}

export async function senderConfiguration(
  client: pg.Pool | pg.PoolClient,
  query: {
    senderOrganizationId: string
    senderApplicationId: string
    messageTypeId: string
    recipientType: EboxIdentity['eboxType']
  },
): Promise<SenderConfiguration> {
  const { rows } = await client.query<SenderConfiguration>(
    `SELECT EXISTS (SELECT 1 FROM message_types WHERE message_type_id = $3) AS "messageTypeKnown",
            EXISTS (SELECT 1 FROM sender_applications WHERE application_id = $2) AS "applicationKnown",
            EXISTS (SELECT 1 FROM sender_applications
                    WHERE application_id = $2 AND organization_id = $1) AS "applicationOfSender",
            EXISTS (SELECT 1 FROM sender_configurations
                    WHERE application_id = $2 AND message_type_id = $3 AND recipient_type = $4) AS "configured"`,
    [query.senderOrganizationId, query.senderApplicationId, query.messageTypeId, query.recipientType],
  )
  return rows[0]!
}

/** Whether a committed message already holds this Idempotency-Key (a fast early answer; the index decides). */
export async function idempotencyKeyTaken(
  client: pg.Pool | pg.PoolClient,
  key: { senderEnterpriseNumber: string; senderApplicationId: string; idempotencyKey: string },
): Promise<boolean> {
  const { rowCount } = await client.query(
    `SELECT 1 FROM messages
     WHERE sender_enterprise_number = $1 AND sender_application_id = $2 AND idempotency_key = $3`,
    [key.senderEnterpriseNumber, key.senderApplicationId, key.idempotencyKey],
  )
  return (rowCount ?? 0) > 0
}

/** One attachment whose content is already stored (content-store.ts) in the same transaction. */
export interface StoredAttachment {
  title: TranslatedString | undefined
  fileName: string
  isMainContent: boolean
  mediaType: string
  isAttachmentSigned: boolean
  contentId: string
  sizeBytes: number
  /** SHA-256, base64url without padding. */
  sha256: string
}

export interface MessageToInsert {
  messageId: string
  recipient: EboxIdentity
  partitionId: string
  senderEnterpriseNumber: string
  senderPartition: string | undefined
  senderApplicationId: string
  messageTypeId: string
  subject: TranslatedString
  isRegisteredMail: boolean
  isReplyAuthorized: boolean
  isBodyMainContent: boolean
  body: TranslatedString | undefined
  forTheAttentionOf: { ssin?: string; label: string } | undefined
  businessData: { key: string; values: TranslatedString[] }[]
  paymentData: PaymentData | undefined
  /** The action the message asks for (standardized business data FOR_ACTION), undefined when none. */
  action: { dueDate: string | undefined } | undefined
  /** As the sender gave it; linked (original_message_ref) when it names a message of the same recipient e-Box. */
  originalMessageId: string | undefined
  idempotencyKey: string | undefined
  publishedByClient: string
  attachments: StoredAttachment[]
}

export interface InsertedMessage {
  publishedAt: Date
  expiresAt: Date
  /** Ids given to the attachments, in their order: '1', '2', … */
  attachmentIds: string[]
}

/**
 * Inserts the message and its attachments. The publication time is the statement's clock (whole seconds) and
 * the expiry that time plus the message type's validity period, counted in Brussels calendar terms (§6.5,
 * NSSO: a requested expirationDate is ignored). Returns undefined when the Idempotency-Key is already taken
 * for this sender and application — also by a concurrent publication that commits first: the unique index
 * `messages_idempotency` makes this one wait for it, then skip.
 */
export async function insertMessage(
  client: pg.PoolClient,
  message: MessageToInsert,
): Promise<InsertedMessage | undefined> {
  // The one search-text builder of every write path (publication, demo seed): @ebox/contract search.ts.
  const search = messageSearchText({
    subject: message.subject,
    businessDataList: message.businessData,
    forTheAttentionOf: message.forTheAttentionOf,
  })
  const { rows } = await client.query<{ published_at: Date; expires_at: Date }>(
    `WITH clock AS (SELECT date_trunc('second', clock_timestamp()) AS at)
     INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
       sender_partition, sender_application_id, message_type_id, subject, published_at, expires_at,
       registered_mail, reply_authorized, body_main_content, body, for_attention_ssin, for_attention_label,
       business_data, payment_data, search_nl, search_fr, search_de, idempotency_key, published_by_client,
       for_action, action_due_date, original_message_id, original_message_ref)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, clock.at,
       ((clock.at AT TIME ZONE $23) + make_interval(
          years => CASE t.validity_unit WHEN 'year' THEN t.validity_number ELSE 0 END,
          months => CASE t.validity_unit WHEN 'month' THEN t.validity_number ELSE 0 END,
          days => CASE t.validity_unit WHEN 'day' THEN t.validity_number ELSE 0 END)) AT TIME ZONE $23,
       $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $24, $25, $26,
       (SELECT o.message_id FROM messages o
        WHERE o.message_id = $27::uuid AND o.recipient_type = $2 AND o.recipient_id = $3)
     FROM clock, message_types t
     WHERE t.message_type_id = $8
     ON CONFLICT (sender_enterprise_number, sender_application_id, idempotency_key)
       WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING published_at, expires_at`,
    [
      message.messageId,
      message.recipient.eboxType,
      message.recipient.id,
      message.partitionId,
      message.senderEnterpriseNumber,
      message.senderPartition ?? null,
      message.senderApplicationId,
      message.messageTypeId,
      JSON.stringify(message.subject),
      message.isRegisteredMail,
      message.isReplyAuthorized,
      message.isBodyMainContent,
      message.body ? JSON.stringify(message.body) : null,
      message.forTheAttentionOf?.ssin ?? null,
      message.forTheAttentionOf?.label ?? null,
      JSON.stringify(message.businessData),
      message.paymentData ? JSON.stringify(message.paymentData) : null,
      search.nl,
      search.fr,
      search.de,
      message.idempotencyKey ?? null,
      message.publishedByClient,
      CONTRACT.filterTimeZone,
      message.action !== undefined,
      message.action?.dueDate ?? null,
      message.originalMessageId ?? null,
      // Only a message id can name a message of this registry; anything else stays unlinked.
      message.originalMessageId !== undefined && isMessageId(message.originalMessageId)
        ? message.originalMessageId
        : null,
    ],
  )
  const inserted = rows[0]
  if (!inserted) return undefined

  const attachmentIds = message.attachments.map((_, index) => String(index + 1))
  if (message.attachments.length > 0) {
    const list = message.attachments
    await client.query(
      `INSERT INTO attachments (message_id, attachment_id, position, title, file_name, main_content, media_type,
                                size_bytes, digest, signed, content_id)
       SELECT $1, a.attachment_id, a.position, a.title, a.file_name, a.main_content, a.media_type, a.size_bytes,
              a.digest, a.signed, a.content_id
       FROM unnest($2::text[], $3::int[], $4::jsonb[], $5::text[], $6::boolean[], $7::text[], $8::bigint[],
                   $9::text[], $10::boolean[], $11::uuid[])
         AS a (attachment_id, position, title, file_name, main_content, media_type, size_bytes, digest, signed,
               content_id)`,
      [
        message.messageId,
        attachmentIds,
        list.map((_, index) => index + 1),
        list.map((a) => (a.title ? JSON.stringify(a.title) : null)),
        list.map((a) => a.fileName),
        list.map((a) => a.isMainContent),
        list.map((a) => a.mediaType),
        list.map((a) => a.sizeBytes),
        list.map((a) => a.sha256),
        list.map((a) => a.isAttachmentSigned),
        list.map((a) => a.contentId),
      ],
    )
  }
  return { publishedAt: inserted.published_at, expiresAt: inserted.expires_at, attachmentIds }
}

/**
 * Makes the recipient's e-Box known to this DP (it exists here once it has received a message). Whether the
 * recipient has an e-Box at all is e-Box Preferences' answer, not ours (federation/ebox-preferences.ts).
 */
export async function recordRecipientEbox(client: pg.PoolClient, recipient: EboxIdentity): Promise<void> {
  await client.query(
    'INSERT INTO eboxes (recipient_type, recipient_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [recipient.eboxType, recipient.id],
  )
}

/** The stored form of the sender's business data: keys with every value filled in all three languages. */
export function businessDataOf(message: MessageToPublish): MessageToInsert['businessData'] {
  return (message.businessDataList ?? []).map((item) => ({
    key: item.key,
    values: item.values.map((value) => fillTranslations(value)),
  }))
}
