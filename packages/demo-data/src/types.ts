import type { PartialTranslatedString, ReferenceDataImport } from '@ebox/contract'

type Texts = PartialTranslatedString

export type DemoRecipient =
  | { eboxType: 'enterprise'; enterpriseNumber: string }
  | { eboxType: 'citizen'; ssin: string }

export interface DemoAttachment {
  attachmentId: string
  fileName: string
  mediaType: string
  isMainContent: boolean
  isAttachmentSigned: boolean
  attachmentTitle?: Texts
  /** The real bytes (a generated PDF, a CSV …). */
  content: Buffer
}

export interface DemoBusinessData {
  key: string
  name?: Texts
  description?: Texts
  values: Texts[]
}

export interface DemoPaymentData {
  paymentDataId: string
  amount: number
  vatAmount: number
  currency: string
  dueDate: Date
  iban: string
  bic?: string
  reference?: { type: string; value: string }
}

/** A message as stored: what publication would have produced, with dates relative to the set's `now`. */
export interface DemoMessage {
  messageId: string
  recipient: DemoRecipient
  /** Enterprise e-Boxes only (citizen e-Boxes have no partitions). */
  partitionId?: string
  sender: { enterpriseNumber: string; partition?: string }
  senderApplicationId: string
  messageTypeId: string
  subject: Texts
  publishedAt: Date
  expiresAt: Date
  readAt?: Date
  visible: boolean
  isRegisteredMail: boolean
  isReplyAuthorized: boolean
  isBodyMainContent: boolean
  bodyContent?: Texts
  forTheAttentionOf?: { ssin?: string; label: string }
  businessDataList: DemoBusinessData[]
  paymentData?: DemoPaymentData
  attachments: DemoAttachment[]
}

export interface DemoEbox {
  eboxType: 'enterprise' | 'citizen'
  /** Enterprise number (10 digits) or SSIN. */
  id: string
  /** Partitions of an enterprise e-Box (GENERAL first); empty for citizens. */
  partitions: string[]
  /** When its owner last opened it (publication answers NO_DIGITAL_USER for e-Boxes never opened). */
  lastConsultationAt?: Date
}

export interface DemoDataSet {
  /** The instant every date of the set is relative to (whole seconds). */
  now: Date
  /** In the `registry refdata import` file format. */
  referenceData: ReferenceDataImport
  eboxes: DemoEbox[]
  messages: DemoMessage[]
}
