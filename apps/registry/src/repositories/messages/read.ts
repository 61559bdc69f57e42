import {
  type Attachment,
  fillTranslations,
  type Message,
  type PartialTranslatedString,
  type PaymentData,
  type TranslatedString,
} from '@ebox/contract'
import type { MessageScope } from '../../auth/message-scope.ts'
import type { Queryable } from '../../db/pool.ts'
import { prepared } from '../../db/prepared.ts'
import {
  ATTACHMENT_COLUMNS,
  type AttachmentRow,
  attachmentOf,
  MESSAGE_COLUMNS,
  type MessageRow,
  messageOf,
  paymentDataOf,
  type StoredPaymentData,
} from './rows.ts'
import { isMessageId, Params, scopeCondition } from './scope-condition.ts'

/** One message of the caller's scope and its parts (§5.2): detail, attachments, body, payment data. */

export async function getMessage(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<Message | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<MessageRow>(
    prepared(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  return row ? messageOf(row) : undefined
}

/** The attachments of one message; undefined when the message is not in the scope. */
export async function getAttachments(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<Attachment[] | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<AttachmentRow & { in_scope: boolean }>(
    prepared(
      `SELECT ${ATTACHMENT_COLUMNS} FROM messages m LEFT JOIN attachments a USING (message_id)
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}
       ORDER BY a.position, a.attachment_id`,
      params.values,
    ),
  )
  if (rows.length === 0) return undefined
  return rows.filter((row) => row.attachment_id !== null).map(attachmentOf)
}

export interface StoredAttachmentRef {
  attachment: Attachment
  contentId: string
  sizeBytes: number
  /** The message was already read: consulting its main content changes nothing (no read-mark transaction). */
  messageRead: boolean
}

/** One attachment and where its bytes are; undefined when the message is not in the scope or has no such id. */
export async function getAttachment(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
  attachmentId: string,
): Promise<StoredAttachmentRef | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<AttachmentRow & { message_read: boolean }>(
    prepared(
      `SELECT ${ATTACHMENT_COLUMNS}, m.read_at IS NOT NULL AS message_read
       FROM messages m JOIN attachments a USING (message_id)
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}
         AND a.attachment_id = ${params.add(attachmentId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  return row
    ? {
        attachment: attachmentOf(row),
        contentId: row.content_id,
        sizeBytes: row.size_bytes,
        messageRead: row.message_read,
      }
    : undefined
}

/** The body of a message (`null` when it has none); undefined when the message is not in the scope. */
export async function getBody(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<{ body: TranslatedString | null; isMainContent: boolean } | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<{ body: PartialTranslatedString | null; body_main_content: boolean }>(
    prepared(
      `SELECT m.body, m.body_main_content FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  return { body: row.body ? fillTranslations(row.body) : null, isMainContent: row.body_main_content }
}

/** The payment data of a message (`null` when it has none); undefined when the message is not in the scope. */
export async function getPaymentData(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<PaymentData | null | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<{ payment_data: StoredPaymentData | null }>(
    prepared(
      `SELECT m.payment_data FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  return row.payment_data ? paymentDataOf(row.payment_data) : null
}
