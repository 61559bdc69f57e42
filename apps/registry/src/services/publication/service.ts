import { randomUUID } from 'node:crypto'
import { CONTRACT, type EboxIdentity, fillTranslations, formatDateTime, RegistryError } from '@ebox/contract'
import type pg from 'pg'
import type { PublicationConfig } from '../../config.ts'
import type { ContentStore } from '../../content/store.ts'
import { inTransaction, type Pool } from '../../db/pool.ts'
import type { PartitionService } from '../../federation/partition-service.ts'
import { cachedRoutingRules } from '../../federation/partition-service-client.ts'
import { enqueueEvent } from '../../repositories/outbox.ts'
import {
  businessDataOf,
  insertMessage,
  recipientHasConsulted,
  type StoredAttachment,
} from '../../repositories/publication.ts'
import { routeMessage } from '../../repositories/routing-rules.ts'
import {
  assertDeclared,
  type CheckedMessage,
  checkMessage,
  matchAttachments,
  type Publisher,
  type ReceivedFile,
} from './checks.ts'
import { fieldJson, MESSAGE_PART, parseMessage, readSmallPart } from './message-part.ts'
import { counted, fileNameOf, mediaTypeOf, type PublicationPart } from './parts.ts'

/**
 * Publication (§5.7, §6.6, federation-duties §7), without HTTP: the parts of one request in, a stored message out.
 * The whole publication is one transaction, opened before the first part is read: file parts are streamed into
 * content storage as they arrive (SHA-256 computed on the way, never a whole file in memory) and matched with the
 * JSON once both are known. Any failure — invalid input, a client that goes away, a killed process — rolls
 * everything back: no message, no content, no event, no audit record.
 */
export interface PublicationServiceOptions {
  pool: Pool
  limits: PublicationConfig
  /**
   * Where routing rules not yet cached come from (and are then cached); undefined = no Partition service is
   * configured: messages go to GENERAL.
   */
  routingRulesSource: Pick<PartitionService, 'routingRules'> | undefined
  /** Where attachment bytes go (PostgreSQL chunks or the object store). */
  contentStore: ContentStore
}

/** One publication request, as plain values. */
export interface PublicationRequest {
  /** The OAuth client that publishes (stored with the message). */
  clientId: string
  publisher: Publisher
  /** Records the audit entry in the publication's transaction, as its last statement. */
  audit: (client: pg.PoolClient, details: Record<string, unknown>) => Promise<void>
  log: { warn(details: object, message: string): void }
}

export interface PublicationStatus {
  messageId: string
  expirationDate: string
  code?: string
  message?: string
}

export interface PublicationService {
  readonly limits: PublicationConfig
  publish(parts: AsyncIterable<PublicationPart>, request: PublicationRequest): Promise<PublicationStatus>
}

interface PublicationContext extends PublicationRequest, Omit<PublicationServiceOptions, 'pool'> {}

export function createPublicationService(options: PublicationServiceOptions): PublicationService {
  const { pool, ...rest } = options
  return {
    limits: options.limits,
    async publish(parts, request) {
      const context: PublicationContext = { ...rest, ...request }
      const published = await inTransaction(pool, (client) => receiveAndPublish(client, parts, context))
      return published.status
    },
  }
}

async function receiveAndPublish(
  client: pg.PoolClient,
  parts: AsyncIterable<PublicationPart>,
  context: PublicationContext,
) {
  const { limits } = context
  const files = new Map<string, ReceivedFile>()
  let checked: CheckedMessage | undefined
  let requestBytes = 0
  const countBytes = (bytes: number) => {
    requestBytes += bytes
    if (requestBytes > limits.maxRequestBytes) {
      throw new RegistryError('PAYLOAD_TOO_LARGE', `The request exceeds ${limits.maxRequestBytes} bytes.`)
    }
  }

  for await (const part of parts) {
    if (part.fieldname === MESSAGE_PART) {
      if (checked) throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is given twice.`)
      const json = part.type === 'file' ? await readSmallPart(part.file) : fieldJson(part)
      countBytes(typeof json === 'string' ? Buffer.byteLength(json) : 0)
      checked = await checkMessage(client, parseMessage(json), context.publisher, limits)
      for (const name of files.keys()) assertDeclared(checked, name)
      continue
    }
    if (part.type === 'field') {
      throw new RegistryError(
        'INVALID_INPUT',
        `Unexpected form field "${part.fieldname}": attachments are file parts.`,
      )
    }
    if (files.has(part.fieldname)) {
      throw new RegistryError('INVALID_INPUT', `The part "${part.fieldname}" is given twice.`)
    }
    if (files.size >= limits.maxAttachments) {
      throw new RegistryError('INVALID_INPUT', `A message has at most ${limits.maxAttachments} attachments.`)
    }
    if (checked) assertDeclared(checked, part.fieldname)
    const fileName = fileNameOf(part.fieldname, part.filename)
    const mediaType = mediaTypeOf(part.fieldname, part.mimetype)
    const stored = await context.contentStore.write(client, counted(part.file, countBytes), {
      maxBytes: limits.maxFileBytes,
      onTooLarge: () =>
        new RegistryError(
          'PAYLOAD_TOO_LARGE',
          `The part "${part.fieldname}" exceeds ${limits.maxFileBytes} bytes.`,
        ),
    })
    files.set(part.fieldname, { partName: part.fieldname, fileName, mediaType, ...stored })
  }

  if (!checked) throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is missing.`)
  const attachments = matchAttachments(checked, files)
  return store(client, checked, attachments, context)
}

async function store(
  client: pg.PoolClient,
  checked: CheckedMessage,
  attachments: StoredAttachment[],
  context: PublicationContext,
) {
  const { message, recipient } = checked
  const partitionId = await partitionFor(
    client,
    recipient,
    {
      messageTypeId: message.messageTypeId,
      senderApplicationId: message.senderApplicationId,
      senderOrganizationId: context.publisher.enterpriseNumber,
    },
    context,
  )
  const messageId = randomUUID()
  const inserted = await insertMessage(client, {
    messageId,
    recipient,
    partitionId,
    senderEnterpriseNumber: context.publisher.enterpriseNumber,
    senderPartition: message.sender.partition,
    senderApplicationId: message.senderApplicationId,
    messageTypeId: message.messageTypeId,
    subject: fillTranslations(message.subject),
    isRegisteredMail: message.isRegisteredMail ?? false,
    isReplyAuthorized: message.isReplyAuthorized ?? false,
    isBodyMainContent: message.isBodyMainContent ?? false,
    body: message.bodyContent ? fillTranslations(message.bodyContent) : undefined,
    forTheAttentionOf: message.forTheAttentionOf,
    businessData: businessDataOf(message),
    paymentData: message.paymentData,
    idempotencyKey: context.publisher.idempotencyKey,
    publishedByClient: context.clientId,
    attachments,
  })
  if (!inserted) throw new RegistryError('DUPLICATE_PUBLICATION')

  const consulted = await recipientHasConsulted(client, recipient)
  const receiptDate = formatDateTime(inserted.publishedAt)
  const expirationDate = formatDateTime(inserted.expiresAt)
  // EES is enterprise-only: citizens' e-Boxes get no event (federation-duties §2).
  if (recipient.eboxType === 'enterprise') {
    await enqueueEvent(client, 'newDocument', {
      enterpriseId: recipient.id,
      messageId,
      receiptDate,
      expirationDate,
      registeredMail: message.isRegisteredMail ?? false,
      messageTypeId: message.messageTypeId,
      senderOrganizationId: context.publisher.enterpriseNumber,
      senderApplicationId: message.senderApplicationId,
    })
  }
  // The audit record (federation-duties §4) is the transaction's last statement: it exists exactly when the
  // publication does.
  await context.audit(client, {
    messageId,
    attachments: attachments.map((attachment, index) => ({
      attachmentId: inserted.attachmentIds[index],
      size: attachment.sizeBytes / 1024,
      digestValue: attachment.sha256,
      digestMethod: 'sha_256',
    })),
  })
  return {
    status: {
      messageId,
      expirationDate,
      ...(!consulted && {
        code: 'NO_DIGITAL_USER',
        message: 'The recipient has never consulted this e-Box; the message is published and waits there.',
      }),
    },
  }
}

/**
 * The recipient partition (federation-duties §3.3): the cached routing rules of the recipient enterprise, fetched
 * from the Partition service when nothing is cached; GENERAL when none match, for citizens, and when the rules
 * cannot be known (no service configured, or it fails: docs/contract-decisions.md).
 */
async function partitionFor(
  client: pg.PoolClient,
  recipient: EboxIdentity,
  routed: Parameters<typeof routeMessage>[1],
  context: PublicationContext,
): Promise<string> {
  if (recipient.eboxType !== 'enterprise') return CONTRACT.generalPartition
  const rules = await cachedRoutingRules(client, context.routingRulesSource, recipient.id, (error) =>
    context.log.warn(
      { err: error, enterpriseNumber: recipient.id },
      'routing rules unavailable; filed in GENERAL',
    ),
  )
  return routeMessage(rules ?? [], routed, CONTRACT.generalPartition)
}
