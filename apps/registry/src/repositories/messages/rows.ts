import {
  type Attachment,
  attachmentContentHref,
  fillTranslations,
  formatDateTime,
  type Message,
  type MessageAction,
  type PartialTranslatedString,
  type PaymentData,
  REPLIES_SERVED,
  type TranslatedString,
} from '@ebox/contract'

/** Rows of `messages` and `attachments` and their wire form (Message, Attachment, PaymentData). */

/** The fields of an AttachmentRow and the expression of each over `attachments a`. */
const ATTACHMENT_FIELDS: ReadonlyArray<readonly [keyof AttachmentRow, string]> = [
  ['message_id', 'a.message_id'],
  ['attachment_id', 'a.attachment_id'],
  ['title', 'a.title'],
  ['file_name', 'a.file_name'],
  ['main_content', 'a.main_content'],
  ['media_type', 'a.media_type'],
  ['size_bytes', 'a.size_bytes::float8'],
  ['digest', 'a.digest'],
  ['signed', 'a.signed'],
  ['content_id', 'a.content_id'],
]

export const ATTACHMENT_COLUMNS = ATTACHMENT_FIELDS.map(
  ([name, expression]) => `${expression} AS ${name}`,
).join(', ')

const attachmentObject = ATTACHMENT_FIELDS.map(([name, expression]) => `'${name}', ${expression}`).join(', ')

/**
 * The attachments of message `m` as one JSON array of AttachmentRow, in their order: a message or a page of them
 * in one round trip instead of two (BENCHMARKS.md, "Per-request cuts").
 */
export const ATTACHMENTS_OF_M = `(SELECT coalesce(json_agg(json_build_object(${attachmentObject})
    ORDER BY a.position, a.attachment_id), '[]') FROM attachments a WHERE a.message_id = m.message_id)`

/** A message row with its attachments (`ATTACHMENTS_OF_M`): a page of messages is one statement. */
export const MESSAGE_COLUMNS = `m.message_id, m.recipient_type, m.partition_id, m.sender_enterprise_number,
  m.sender_partition, m.sender_application_id, m.message_type_id, m.subject,
  date_part('epoch', m.published_at) * 1000 AS published_ms, date_part('epoch', m.expires_at) * 1000 AS expires_ms,
  date_part('epoch', m.read_at) * 1000 AS read_ms, m.visible, m.registered_mail, m.reply_authorized, m.body_main_content, m.for_attention_ssin,
  m.for_attention_label, m.business_data, m.payment_data, m.original_message_id, m.for_action,
  to_char(m.action_due_date, 'YYYY-MM-DD') AS action_due_date,
  date_part('epoch', m.action_executed_at) * 1000 AS action_executed_ms, ${ATTACHMENTS_OF_M} AS attachments`

export interface MessageRow {
  message_id: string
  recipient_type: 'enterprise' | 'citizen'
  partition_id: string
  sender_enterprise_number: string
  sender_partition: string | null
  sender_application_id: string
  message_type_id: string
  subject: PartialTranslatedString
  /** Timestamps as epoch milliseconds: a float8 parses far cheaper than a timestamptz (issue 10). */
  published_ms: number
  expires_ms: number
  read_ms: number | null
  visible: boolean
  registered_mail: boolean
  reply_authorized: boolean
  body_main_content: boolean
  for_attention_ssin: string | null
  for_attention_label: string | null
  business_data: StoredBusinessData[]
  payment_data: StoredPaymentData | null
  original_message_id: string | null
  for_action: boolean
  action_due_date: string | null
  action_executed_ms: number | null
  attachments: AttachmentRow[]
}

interface StoredBusinessData {
  key: string
  name?: PartialTranslatedString
  description?: PartialTranslatedString
  values: PartialTranslatedString[]
}

export type StoredPaymentData = Omit<PaymentData, 'dueDate'> & { dueDate: string }

export interface AttachmentRow {
  message_id: string
  attachment_id: string
  title: PartialTranslatedString | null
  file_name: string
  main_content: boolean
  media_type: string
  size_bytes: number
  digest: string
  signed: boolean
  content_id: string
}

export function attachmentOf(row: AttachmentRow): Attachment {
  return {
    attachmentId: row.attachment_id,
    ...(row.title ? { attachmentTitle: fillTranslations(row.title) } : {}),
    fileName: row.file_name,
    isMainContent: row.main_content,
    mediaType: row.media_type,
    size: row.size_bytes / 1024,
    digest: { digestMethod: 'sha_256', digestValue: row.digest },
    isAttachmentSigned: row.signed,
    contentHref: attachmentContentHref(row.message_id, row.attachment_id),
  }
}

export function paymentDataOf(stored: StoredPaymentData): PaymentData {
  const { paymentDataId, amount, vatAmount, currency, iban, bic, reference } = stored
  return {
    paymentDataId,
    amount,
    vatAmount,
    currency,
    dueDate: formatDateTime(new Date(stored.dueDate)),
    iban,
    ...(bic ? { bic } : {}),
    ...(reference ? { reference } : {}),
  }
}

/** The action a message asks for, with its state; undefined when it asks for none. */
export function messageActionOf(
  row: Pick<MessageRow, 'for_action' | 'action_due_date' | 'action_executed_ms'>,
): MessageAction | undefined {
  if (!row.for_action) return undefined
  return {
    ...(row.action_due_date !== null ? { dueDate: row.action_due_date } : {}),
    isExecuted: row.action_executed_ms !== null,
    ...(row.action_executed_ms !== null
      ? { executionDate: formatDateTime(new Date(row.action_executed_ms)) }
      : {}),
  }
}

const optionalTexts = (value: PartialTranslatedString | undefined | null): TranslatedString | undefined =>
  value ? fillTranslations(value) : undefined

export function messageOf(row: MessageRow): Message {
  const businessData = row.business_data.map((item) => ({
    key: item.key,
    ...(item.name ? { name: optionalTexts(item.name) } : {}),
    ...(item.description ? { description: optionalTexts(item.description) } : {}),
    values: item.values.map((value) => fillTranslations(value)),
  }))
  const action = messageActionOf(row)
  return {
    messageId: row.message_id,
    ...(row.original_message_id !== null ? { originalMessageId: row.original_message_id } : {}),
    subject: fillTranslations(row.subject),
    receiptDate: formatDateTime(new Date(row.published_ms)),
    expirationDate: formatDateTime(new Date(row.expires_ms)),
    readStatus: row.read_ms !== null,
    ...(row.read_ms !== null ? { readDate: formatDateTime(new Date(row.read_ms)) } : {}),
    visible: row.visible,
    isRegisteredMail: row.registered_mail,
    ...(row.for_attention_label !== null
      ? {
          forTheAttentionOf: {
            ...(row.for_attention_ssin ? { ssin: row.for_attention_ssin } : {}),
            label: row.for_attention_label,
          },
        }
      : {}),
    messageTypeId: row.message_type_id,
    senderOrganizationId: row.sender_enterprise_number,
    sender: {
      eboxType: 'enterprise',
      enterpriseNumber: row.sender_enterprise_number,
      ...(row.sender_partition ? { partition: row.sender_partition } : {}),
    },
    senderApplicationId: row.sender_application_id,
    // Citizen e-Boxes have no partitions (§1): the property is left out for them.
    ...(row.recipient_type === 'enterprise' ? { partitionId: row.partition_id } : {}),
    isBodyMainContent: row.body_main_content,
    // Advertised only while replies are served (contract decision "Unimplemented optional operations").
    isReplyAuthorized: REPLIES_SERVED && row.reply_authorized,
    attachments: { items: row.attachments.map(attachmentOf), totalItems: row.attachments.length },
    businessDataList: { items: businessData, totalItems: businessData.length },
    ...(row.payment_data ? { paymentData: paymentDataOf(row.payment_data) } : {}),
    ...(action ? { messageAction: action } : {}),
  }
}
