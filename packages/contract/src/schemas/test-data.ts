import { type Static, Type } from '@sinclair/typebox'
import { DateTime, EnterpriseNumber, PartialTranslatedString, Ssin } from './common.ts'
import { ATTACHMENT_MEDIA_TYPES } from './messages.ts'
import { ReferenceDataImport } from './reference-data-import.ts'

/**
 * The test data file `POST /certification/resetDataSet` loads into the test e-Boxes (CERTIFICATION_TEST_DATA_FILE).
 * The federation's own test data format is not published (federation-duties §5, S16 draft): this is ours,
 * documented in docs/contract-decisions.md. Messages as stored (what publication would have produced); every date
 * is moved by (time of the reset − `datesRelativeTo`), so a message one day old in the file is one day old after
 * each reset (no date drift). Contents are base64.
 */
export const TEST_DATA_FORMAT = 'ebox-dp-test-data/1'

const Texts = PartialTranslatedString

export const TestDataEbox = Type.Union([
  Type.Object(
    {
      eboxType: Type.Literal('enterprise'),
      id: EnterpriseNumber,
      /** Its partitions; `GENERAL` is always one of them. */
      partitions: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 1000 }),
      lastConsultationAt: Type.Optional(DateTime),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      eboxType: Type.Literal('citizen'),
      id: Ssin,
      partitions: Type.Optional(Type.Array(Type.String(), { maxItems: 0 })),
      lastConsultationAt: Type.Optional(DateTime),
    },
    { additionalProperties: false },
  ),
])

export const TestDataAttachment = Type.Object(
  {
    attachmentId: Type.String({ minLength: 1, maxLength: 100 }),
    fileName: Type.String({ minLength: 1, maxLength: 255 }),
    mediaType: Type.Union(ATTACHMENT_MEDIA_TYPES.map((mediaType) => Type.Literal(mediaType))),
    isMainContent: Type.Boolean(),
    isAttachmentSigned: Type.Boolean(),
    attachmentTitle: Type.Optional(Texts),
    contentBase64: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$' }),
  },
  { additionalProperties: false },
)

export const TestDataMessage = Type.Object(
  {
    messageId: Type.String({ format: 'uuid' }),
    recipient: Type.Union([
      Type.Object(
        { eboxType: Type.Literal('enterprise'), enterpriseNumber: EnterpriseNumber },
        { additionalProperties: false },
      ),
      Type.Object({ eboxType: Type.Literal('citizen'), ssin: Ssin }, { additionalProperties: false }),
    ]),
    /** Enterprise e-Boxes only; default `GENERAL`. */
    partitionId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    sender: Type.Object(
      { enterpriseNumber: EnterpriseNumber, partition: Type.Optional(Type.String({ maxLength: 100 })) },
      { additionalProperties: false },
    ),
    senderApplicationId: Type.String({ minLength: 1 }),
    messageTypeId: Type.String({ minLength: 1 }),
    subject: Texts,
    publishedAt: DateTime,
    expiresAt: DateTime,
    readAt: Type.Optional(DateTime),
    visible: Type.Boolean(),
    isRegisteredMail: Type.Boolean(),
    isReplyAuthorized: Type.Boolean(),
    isBodyMainContent: Type.Boolean(),
    bodyContent: Type.Optional(Texts),
    forTheAttentionOf: Type.Optional(
      Type.Object(
        { ssin: Type.Optional(Ssin), label: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ),
    businessDataList: Type.Array(
      Type.Object(
        {
          key: Type.String({ minLength: 1 }),
          name: Type.Optional(Texts),
          description: Type.Optional(Texts),
          values: Type.Array(Texts),
        },
        { additionalProperties: false },
      ),
      { maxItems: 50 },
    ),
    paymentData: Type.Optional(
      Type.Object(
        {
          paymentDataId: Type.String({ minLength: 1 }),
          amount: Type.Number(),
          vatAmount: Type.Number(),
          currency: Type.String({ pattern: '^[A-Z]{3}$' }),
          dueDate: DateTime,
          iban: Type.String({ minLength: 1 }),
          bic: Type.Optional(Type.String()),
          reference: Type.Optional(
            Type.Object({ type: Type.String(), value: Type.String() }, { additionalProperties: false }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    attachments: Type.Array(TestDataAttachment, { maxItems: 100 }),
  },
  { additionalProperties: false },
)

export const TestDataFile = Type.Object(
  {
    format: Type.Literal(TEST_DATA_FORMAT),
    description: Type.Optional(Type.String()),
    /** The instant the file's dates are written for; at a reset they move by (now − this). */
    datesRelativeTo: DateTime,
    /**
     * Reference data the messages need, in the `registry refdata import` format: created or replaced with the
     * reset (shared by every e-Box: a file for production should leave it out and use what is there).
     */
    referenceData: Type.Optional(ReferenceDataImport),
    /** The test e-Boxes the file fills; a test e-Box it does not name is emptied by a reset. */
    eboxes: Type.Array(TestDataEbox, { maxItems: 100 }),
    messages: Type.Array(TestDataMessage, { maxItems: 10_000 }),
  },
  { additionalProperties: false },
)
export type TestDataFile = Static<typeof TestDataFile>
export type TestDataMessage = Static<typeof TestDataMessage>
export type TestDataEbox = Static<typeof TestDataEbox>
