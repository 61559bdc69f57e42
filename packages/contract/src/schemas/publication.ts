import { type Static, Type } from '@sinclair/typebox'
import { DateTime, Digest, PartialTranslatedString } from './common.ts'
import { ForTheAttentionOf, PaymentData, Recipient, Sender } from './messages.ts'

/** `messageToPublish` JSON part of POST /ebox/messages (§6.6). Limits from the NSSO (§6.6). */
export const AttachmentToPublish = Type.Object(
  {
    httpPartName: Type.String({ minLength: 1, maxLength: 100 }),
    isMainContent: Type.Boolean(),
    isAttachmentSigned: Type.Optional(Type.Boolean()),
    attachmentTitle: Type.Optional(PartialTranslatedString),
    digest: Type.Optional(Digest),
  },
  { additionalProperties: false },
)

export const MessageToPublish = Type.Object(
  {
    sender: Sender,
    recipient: Recipient,
    subject: Type.Object(
      {
        nl: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
        fr: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
        de: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    messageTypeId: Type.String({ minLength: 1, maxLength: 200 }),
    senderApplicationId: Type.String({ minLength: 1, maxLength: 200 }),
    attachments: Type.Optional(Type.Array(AttachmentToPublish, { maxItems: 100 })),
    isBodyMainContent: Type.Optional(Type.Boolean()),
    bodyContent: Type.Optional(PartialTranslatedString),
    businessDataList: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 100 }),
            values: Type.Array(
              Type.Object(
                {
                  nl: Type.Optional(Type.String({ maxLength: 256 })),
                  fr: Type.Optional(Type.String({ maxLength: 256 })),
                  de: Type.Optional(Type.String({ maxLength: 256 })),
                },
                { additionalProperties: false, minProperties: 1 },
              ),
              { minItems: 1, maxItems: 50 },
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
    forTheAttentionOf: Type.Optional(ForTheAttentionOf),
    isReplyAuthorized: Type.Optional(Type.Boolean()),
    isRegisteredMail: Type.Optional(Type.Boolean()),
    /** Ignored: the expiration date follows from the message type's validity period (NSSO behaviour). */
    expirationDate: Type.Optional(DateTime),
    paymentData: Type.Optional(PaymentData),
    /** 2.1 `originalMessageId` ("bidirectional use case"): stored and returned as given, linked when known. */
    originalMessageId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    ),
    /** Accepted and ignored: its shape is not published (contract decision "structuredData"). */
    structuredData: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { title: 'MessageToPublish', additionalProperties: false },
)
export type MessageToPublish = Static<typeof MessageToPublish>

export const PublicationStatusMessage = Type.Object(
  {
    messageId: Type.String(),
    expirationDate: DateTime,
    code: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
  },
  { title: 'PublicationStatusMessage', additionalProperties: false },
)
