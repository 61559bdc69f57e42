import {
  type EboxIdentity,
  fillTranslations,
  isValidEnterpriseNumber,
  isValidSsin,
  type MessageToPublish,
  RegistryError,
  type RequestedAction,
  requestedActionOf,
} from '@ebox/contract'
import type { PublicationConfig } from '../../config.ts'
import type { Queryable } from '../../db/pool.ts'
import {
  idempotencyKeyTaken,
  type StoredAttachment,
  senderConfiguration,
} from '../../repositories/publication.ts'
import { MESSAGE_PART } from './message-part.ts'

/** The checks of a message to publish (§6.4–6.6), in the order the answers are due. */

/** The JSON part once it passed every check that does not need the files. */
export interface CheckedMessage {
  message: MessageToPublish
  recipient: EboxIdentity
  attachments: NonNullable<MessageToPublish['attachments']>
  /** What the standardized business data FOR_ACTION / FOR_ACTION_DUE_DATE ask for. */
  action: RequestedAction | undefined
}

/** A file part stored in the open transaction, waiting to be matched with its attachment. */
export interface ReceivedFile
  extends Omit<StoredAttachment, 'title' | 'isMainContent' | 'isAttachmentSigned'> {
  partName: string
}

/** Who publishes, as the checks need it. */
export interface Publisher {
  /** Enterprise the message is sent by: the caller's, or the one it represents under a verified mandate. */
  enterpriseNumber: string
  idempotencyKey: string | undefined
}

/** Every check the JSON part allows on its own and against reference data, before any file is matched. */
export async function checkMessage(
  client: Queryable,
  message: MessageToPublish,
  publisher: Publisher,
  limits: Pick<PublicationConfig, 'maxAttachments'>,
): Promise<CheckedMessage> {
  const attachments = checkContent(message, limits)
  const action = requestedActionOf(message.businessDataList ?? [])
  const recipient = recipientOf(message)
  await checkSender(client, message, recipient, publisher)
  return { message, recipient, attachments, action }
}

/** Attachments (count, part names) and the one main content: the body or exactly one attachment. */
function checkContent(
  message: MessageToPublish,
  limits: Pick<PublicationConfig, 'maxAttachments'>,
): CheckedMessage['attachments'] {
  const attachments = message.attachments ?? []
  if (attachments.length > limits.maxAttachments) {
    throw new RegistryError('INVALID_INPUT', `A message has at most ${limits.maxAttachments} attachments.`)
  }
  const partNames = new Set<string>()
  for (const attachment of attachments) {
    if (attachment.httpPartName === MESSAGE_PART || partNames.has(attachment.httpPartName)) {
      throw new RegistryError(
        'INVALID_INPUT',
        `The httpPartName "${attachment.httpPartName}" cannot name an attachment (reserved or used twice).`,
      )
    }
    partNames.add(attachment.httpPartName)
  }
  const mainContents = attachments.filter((a) => a.isMainContent).length + (message.isBodyMainContent ? 1 : 0)
  if (mainContents === 0) {
    throw new RegistryError(
      'INVALID_INPUT',
      'No main content: mark one attachment isMainContent or the body isBodyMainContent.',
    )
  }
  if (mainContents > 1) {
    throw new RegistryError(
      'INVALID_INPUT',
      'Too many main contents: exactly one attachment or the body is the main content.',
    )
  }
  if (message.isBodyMainContent && !message.bodyContent) {
    throw new RegistryError('INVALID_INPUT', 'isBodyMainContent is true but bodyContent is missing.')
  }
  return attachments
}

/** The recipient e-Box (check digits verified), and a valid forTheAttentionOf SSIN. */
function recipientOf(message: MessageToPublish): EboxIdentity {
  let recipient: EboxIdentity
  if (message.recipient.eboxType === 'enterprise') {
    if (!isValidEnterpriseNumber(message.recipient.enterpriseNumber)) {
      throw new RegistryError(
        'INVALID_INPUT',
        `The recipient ${message.recipient.enterpriseNumber} is not a valid enterprise number (check digits).`,
      )
    }
    recipient = { eboxType: 'enterprise', id: message.recipient.enterpriseNumber }
  } else {
    if (!isValidSsin(message.recipient.ssin)) {
      throw new RegistryError('INVALID_INPUT', 'The recipient is not a valid SSIN (check digits).')
    }
    recipient = { eboxType: 'citizen', id: message.recipient.ssin }
  }
  const attention = message.forTheAttentionOf
  if (attention?.ssin !== undefined && !isValidSsin(attention.ssin)) {
    throw new RegistryError('INVALID_INPUT', 'forTheAttentionOf.ssin is not a valid SSIN (check digits).')
  }
  return recipient
}

/** The sender is the publisher, its application may publish this type to this kind of e-Box, the key is new. */
async function checkSender(
  client: Queryable,
  message: MessageToPublish,
  recipient: EboxIdentity,
  publisher: Publisher,
): Promise<void> {
  if (message.sender.enterpriseNumber !== publisher.enterpriseNumber) {
    throw new RegistryError(
      'INVALID_SENDER',
      'User credentials do not match the payload: sender.enterpriseNumber.',
    )
  }
  const configuration = await senderConfiguration(client, {
    senderOrganizationId: publisher.enterpriseNumber,
    senderApplicationId: message.senderApplicationId,
    messageTypeId: message.messageTypeId,
    recipientType: recipient.eboxType,
  })
  // An unknown type or application is a configuration the sender does not have: INVALID_SENDER "Invalid message
  // configuration", as the reference DP answers (federation-duties §7, [E-NSSO S23]).
  if (!configuration.messageTypeKnown) {
    throw new RegistryError(
      'INVALID_SENDER',
      `Invalid message configuration: unknown messageTypeId "${message.messageTypeId}".`,
    )
  }
  if (!configuration.applicationKnown) {
    throw new RegistryError(
      'INVALID_SENDER',
      `Invalid message configuration: unknown senderApplicationId "${message.senderApplicationId}".`,
    )
  }
  if (!configuration.applicationOfSender) {
    throw new RegistryError(
      'INVALID_SENDER',
      `Invalid message configuration: the application "${message.senderApplicationId}" is not the sender's.`,
    )
  }
  if (!configuration.configured) {
    throw new RegistryError(
      'INVALID_SENDER',
      `Invalid message configuration: "${message.senderApplicationId}" may not publish "${message.messageTypeId}" ` +
        `to ${recipient.eboxType} e-Boxes.`,
    )
  }
  if (
    publisher.idempotencyKey !== undefined &&
    (await idempotencyKeyTaken(client, {
      senderEnterpriseNumber: publisher.enterpriseNumber,
      senderApplicationId: message.senderApplicationId,
      idempotencyKey: publisher.idempotencyKey,
    }))
  ) {
    throw new RegistryError('DUPLICATE_PUBLICATION')
  }
}

export function assertDeclared(checked: CheckedMessage, partName: string) {
  if (!checked.attachments.some((a) => a.httpPartName === partName)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The part "${partName}" matches no attachment of ${MESSAGE_PART}.`,
    )
  }
}

/** Attachments and file parts one to one; then each given digest against the bytes actually received. */
export function matchAttachments(
  checked: CheckedMessage,
  files: Map<string, ReceivedFile>,
): StoredAttachment[] {
  return checked.attachments.map((attachment) => {
    const file = files.get(attachment.httpPartName)
    if (!file) {
      throw new RegistryError(
        'INVALID_INPUT',
        `No file part "${attachment.httpPartName}" for its attachment.`,
      )
    }
    if (attachment.digest && attachment.digest.digestValue !== file.sha256) {
      throw new RegistryError(
        'DIGEST_DO_NOT_MATCH',
        `The digest of "${attachment.httpPartName}" does not match its content (SHA-256, base64url).`,
      )
    }
    return {
      title: attachment.attachmentTitle ? fillTranslations(attachment.attachmentTitle) : undefined,
      fileName: file.fileName,
      isMainContent: attachment.isMainContent,
      mediaType: file.mediaType,
      isAttachmentSigned: attachment.isAttachmentSigned ?? false,
      contentId: file.contentId,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
    }
  })
}
