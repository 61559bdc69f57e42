import { type Static, Type } from '@sinclair/typebox'
import { Collection, DateOnly, DateTime, Digest, EnterpriseNumber, Ssin, TranslatedString } from './common.ts'

/** Media types an attachment may have (§6.4). */
export const ATTACHMENT_MEDIA_TYPES = [
  'application/pdf',
  'application/zip',
  'text/csv',
  'text/html',
  'text/plain',
  'text/xml',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/vnd.oasis.opendocument.graphics',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-powerpoint',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
] as const
export type AttachmentMediaType = (typeof ATTACHMENT_MEDIA_TYPES)[number]

export const Attachment = Type.Object(
  {
    attachmentId: Type.String(),
    attachmentTitle: Type.Optional(TranslatedString),
    fileName: Type.String(),
    isMainContent: Type.Boolean(),
    mediaType: Type.String(),
    /** kB (1 kB = 1024 bytes), as a double. */
    size: Type.Number({ minimum: 0 }),
    digest: Digest,
    isAttachmentSigned: Type.Boolean(),
    contentHref: Type.String({ format: 'uri-reference' }),
  },
  { title: 'Attachment', additionalProperties: false },
)
export type Attachment = Static<typeof Attachment>
export const Attachments = Collection(Attachment, 'Attachments')

export const BusinessData = Type.Object(
  {
    key: Type.String(),
    name: Type.Optional(TranslatedString),
    description: Type.Optional(TranslatedString),
    values: Type.Array(TranslatedString),
  },
  { title: 'BusinessData', additionalProperties: false },
)
export const BusinessDataList = Collection(BusinessData, 'BusinessDataList')

export const PaymentData = Type.Object(
  {
    paymentDataId: Type.String(),
    amount: Type.Number(),
    vatAmount: Type.Number(),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    dueDate: DateTime,
    iban: Type.String(),
    bic: Type.Optional(Type.String()),
    reference: Type.Optional(
      Type.Object({ type: Type.String(), value: Type.String() }, { additionalProperties: false }),
    ),
  },
  { title: 'PaymentData', additionalProperties: false },
)
export type PaymentData = Static<typeof PaymentData>

export const Recipient = Type.Union(
  [
    Type.Object(
      { eboxType: Type.Literal('enterprise'), enterpriseNumber: EnterpriseNumber },
      { additionalProperties: false },
    ),
    Type.Object({ eboxType: Type.Literal('citizen'), ssin: Ssin }, { additionalProperties: false }),
  ],
  { title: 'Recipient' },
)

export const Sender = Type.Object(
  {
    eboxType: Type.Literal('enterprise'),
    enterpriseNumber: EnterpriseNumber,
    partition: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { title: 'Sender', additionalProperties: false },
)

export const ForTheAttentionOf = Type.Object(
  { ssin: Type.Optional(Ssin), label: Type.String({ maxLength: 100 }) },
  { title: 'ForTheAttentionOf', additionalProperties: false },
)

/**
 * The action a message asks of its recipient ("Message forAction", DC v3 draft, S29), present only on such
 * messages. Property names unconfirmed: docs/contract-decisions.md "Message actions".
 */
export const MessageAction = Type.Object(
  {
    /** The sender's due date (standardized business data FOR_ACTION_DUE_DATE), when it gave one. */
    dueDate: Type.Optional(DateOnly),
    isExecuted: Type.Boolean(),
    /** When a consumer first marked the action executed. */
    executionDate: Type.Optional(DateTime),
  },
  { title: 'MessageAction', additionalProperties: false },
)
export type MessageAction = Static<typeof MessageAction>

/** PATCH /ebox/messages/{messageId}/messageAction (merge-patch): the action is done; it cannot be undone. */
export const MessageActionUpdate = Type.Object(
  { isExecuted: Type.Literal(true) },
  { title: 'MessageActionUpdate', additionalProperties: false },
)
export type MessageActionUpdate = Static<typeof MessageActionUpdate>

/** A message as consulted (§6.3; names chosen in docs/contract-decisions.md). */
export const Message = Type.Object(
  {
    messageId: Type.String(),
    /** The message this one answers or follows (2.1 `originalMessageId`), as the sender gave it. */
    originalMessageId: Type.Optional(Type.String()),
    subject: TranslatedString,
    receiptDate: DateTime,
    expirationDate: DateTime,
    readStatus: Type.Boolean(),
    readDate: Type.Optional(DateTime),
    visible: Type.Boolean(),
    isRegisteredMail: Type.Boolean(),
    forTheAttentionOf: Type.Optional(ForTheAttentionOf),
    messageTypeId: Type.String(),
    senderOrganizationId: EnterpriseNumber,
    sender: Sender,
    senderApplicationId: Type.String(),
    partitionId: Type.Optional(Type.String()),
    isBodyMainContent: Type.Boolean(),
    isReplyAuthorized: Type.Boolean(),
    attachments: Attachments,
    businessDataList: BusinessDataList,
    paymentData: Type.Optional(PaymentData),
    messageAction: Type.Optional(MessageAction),
  },
  { title: 'Message', additionalProperties: false },
)
export type Message = Static<typeof Message>
export const Messages = Collection(Message, 'Messages')

export const Body = Type.Object(
  { bodyContent: TranslatedString },
  { title: 'Body', additionalProperties: false },
)

export const BOOLEAN_QUERY = Type.Union([Type.Literal('true'), Type.Literal('false')])

/** Query of GET /ebox/messages (§5.1). Booleans arrive as strings and are parsed by the route. */
export const ListMessagesQuery = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
    receivedBefore: Type.Optional(DateOnly),
    receivedAfter: Type.Optional(DateOnly),
    expiredBefore: Type.Optional(DateOnly),
    expiredAfter: Type.Optional(DateOnly),
    readStatus: Type.Optional(Type.Boolean()),
    visible: Type.Optional(Type.Boolean()),
    registeredMail: Type.Optional(Type.Boolean()),
    messageTypeId: Type.Optional(Type.String({ maxLength: 200 })),
    senderOrganizationId: Type.Optional(Type.String({ maxLength: 200 })),
    senderApplicationId: Type.Optional(Type.String({ maxLength: 200 })),
    partitionId: Type.Optional(Type.String({ maxLength: 200 })),
    /** Control characters are refused: the stored search text separates its fields with one (search.ts). */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 400, pattern: '^[^\\u0000-\\u001f\\u007f]*$' })),
    qlang: Type.Optional(Type.Union([Type.Literal('fr'), Type.Literal('nl'), Type.Literal('de')])),
  },
  { additionalProperties: false },
)
export type ListMessagesQuery = Static<typeof ListMessagesQuery>

/** PATCH /ebox/messages body (merge-patch; §5.3 plus the v3 partition move). */
export const MessageToUpdate = Type.Object(
  {
    messageId: Type.String({ minLength: 1, maxLength: 200 }),
    visible: Type.Optional(Type.Boolean()),
    partitionId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false, minProperties: 2 },
)
export const MessagesToUpdate = Type.Object(
  {
    items: Type.Array(MessageToUpdate, { minItems: 1, maxItems: 100 }),
    totalItems: Type.Integer({ minimum: 1 }),
  },
  { title: 'MessagesToUpdate', additionalProperties: false },
)
export type MessagesToUpdate = Static<typeof MessagesToUpdate>
