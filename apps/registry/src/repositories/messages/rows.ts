import {
  type Attachment,
  attachmentContentHref,
  fillTranslations,
  formatDateTime,
  formatEpochMillis,
  type Message,
  type MessageAction,
  type PartialTranslatedString,
  type PaymentData,
  REPLIES_SERVED,
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
  const attachment: Attachment = {
    attachmentId: row.attachment_id,
    fileName: row.file_name,
    isMainContent: row.main_content,
    mediaType: row.media_type,
    size: row.size_bytes / 1024,
    digest: { digestMethod: 'sha_256', digestValue: row.digest },
    isAttachmentSigned: row.signed,
    contentHref: attachmentContentHref(row.message_id, row.attachment_id),
  }
  if (row.title) attachment.attachmentTitle = fillTranslations(row.title)
  return attachment
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
  const action: MessageAction = { isExecuted: row.action_executed_ms !== null }
  if (row.action_due_date !== null) action.dueDate = row.action_due_date
  if (row.action_executed_ms !== null) action.executionDate = formatEpochMillis(row.action_executed_ms)
  return action
}

type BusinessData = Message['businessDataList']['items'][number]

function businessDataOf(item: StoredBusinessData): BusinessData {
  const data: BusinessData = { key: item.key, values: item.values.map((value) => fillTranslations(value)) }
  if (item.name) data.name = fillTranslations(item.name)
  if (item.description) data.description = fillTranslations(item.description)
  return data
}

/**
 * The contract's Message of a row, built once (optional properties assigned only when present: the serialiser
 * writes them in the schema's order whatever the object's).
 */
export function messageOf(row: MessageRow): Message {
  const businessData = row.business_data.map(businessDataOf)
  const message: Message = {
    messageId: row.message_id,
    subject: fillTranslations(row.subject),
    receiptDate: formatEpochMillis(row.published_ms),
    expirationDate: formatEpochMillis(row.expires_ms),
    readStatus: row.read_ms !== null,
    visible: row.visible,
    isRegisteredMail: row.registered_mail,
    messageTypeId: row.message_type_id,
    senderOrganizationId: row.sender_enterprise_number,
    sender: { eboxType: 'enterprise', enterpriseNumber: row.sender_enterprise_number },
    senderApplicationId: row.sender_application_id,
    isBodyMainContent: row.body_main_content,
    // Advertised only while replies are served (contract decision "Unimplemented optional operations").
    isReplyAuthorized: REPLIES_SERVED && row.reply_authorized,
    attachments: { items: row.attachments.map(attachmentOf), totalItems: row.attachments.length },
    businessDataList: { items: businessData, totalItems: businessData.length },
  }
  if (row.original_message_id !== null) message.originalMessageId = row.original_message_id
  if (row.read_ms !== null) message.readDate = formatEpochMillis(row.read_ms)
  if (row.for_attention_label !== null) {
    message.forTheAttentionOf = row.for_attention_ssin
      ? { ssin: row.for_attention_ssin, label: row.for_attention_label }
      : { label: row.for_attention_label }
  }
  if (row.sender_partition) message.sender.partition = row.sender_partition
  // Citizen e-Boxes have no partitions (§1): the property is left out for them.
  if (row.recipient_type === 'enterprise') message.partitionId = row.partition_id
  if (row.payment_data) message.paymentData = paymentDataOf(row.payment_data)
  const action = messageActionOf(row)
  if (action) message.messageAction = action
  return message
}
