import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { CONTRACT, fillTranslations, formatDateTime, RegistryError } from '@ebox/contract'
import type pg from 'pg'
import type { PublicationConfig } from '../../config.ts'
import type { ContentStore, PreparedContent } from '../../content/store.ts'
import { inTransaction, type Pool } from '../../db/pool.ts'
import type { RecipientDirectory, RecipientStanding } from '../../federation/ebox-preferences.ts'
import type { PartitionService } from '../../federation/partition-service.ts'
import { cachedRoutingRules } from '../../federation/partition-service-client.ts'
import { enqueueEvent } from '../../repositories/outbox.ts'
import {
  businessDataOf,
  insertMessage,
  recordRecipientEbox,
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
import { ConcurrencyLimit, Semaphore } from './concurrency.ts'
import { fieldJson, MESSAGE_PART, parseMessage, readSmallPart } from './message-part.ts'
import { counted, fileNameOf, mediaTypeOf, type PublicationPart } from './parts.ts'
import { createStagingArea, type StagedFile, type StagedRequest } from './staging.ts'

/**
 * Publication (§5.7, §6.6, federation-duties §7), without HTTP: the parts of one request in, a stored message out.
 * No database connection is held while the network is waited for: file parts are received into the staging area
 * (SHA-256 computed on the way; small files in memory within a budget, the others on disk), the JSON part is checked with short pool queries,
 * and only once the whole body is in does one short transaction write content, message, outbox event and audit
 * record. Any failure — invalid input, a client that goes away, a killed process — leaves nothing: no message, no
 * content, no event, no audit record, no staged file.
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
  /** Staged files older than this belong to no live request (a killed process's): swept (staging.ts). */
  stagingStaleAfterMs: number
  /** Hears how many such files a sweep removed. */
  onStaleStagingSwept?: (removed: number) => void
  /** e-Box Preferences (cached): whether the recipient has an e-Box and is an active company. */
  recipients: RecipientDirectory
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
  /** Files currently staged (for tests and metrics). */
  readonly stagingDir: string
  publish(parts: AsyncIterable<PublicationPart>, request: PublicationRequest): Promise<PublicationStatus>
  /** Stops the staging area's sweeper (app close). */
  close(): void
}

interface PublicationContext extends PublicationRequest, Omit<PublicationServiceOptions, 'pool'> {
  pool: Pool
}

/** A file part once staged: everything but where its content is stored (known only in the commit). */
interface StagedPart extends Omit<ReceivedFile, 'contentId'> {
  /** The file name exactly as the sender gave it (audit trail only). */
  givenName: string
  staged: StagedFile
}

/** How long a client over its concurrency cap is told to wait. */
const CONCURRENCY_RETRY_AFTER_SECONDS = 5

export function createPublicationService(options: PublicationServiceOptions): PublicationService {
  const { limits } = options
  const staging = createStagingArea(
    limits.stagingDir,
    {
      maxTotalBytes: limits.stagingMaxBytes,
      memoryFileBytes: limits.stagingMemoryFileBytes,
      memoryTotalBytes: limits.stagingMemoryMaxBytes,
    },
    { staleAfterMs: options.stagingStaleAfterMs, onSwept: options.onStaleStagingSwept },
  )
  const perClient = new ConcurrencyLimit(limits.maxConcurrentPerClient)
  const commits = new Semaphore(limits.maxConcurrentCommits)
  return {
    limits,
    stagingDir: staging.dir,
    close: () => staging.close(),
    async publish(parts, request) {
      const context: PublicationContext = { ...options, ...request }
      if (!perClient.enter(request.clientId)) {
        throw new RegistryError(
          'TOO_MANY_REQUESTS',
          `At most ${limits.maxConcurrentPerClient} publications of one client may be in flight at once.`,
          { headers: { 'retry-after': String(CONCURRENCY_RETRY_AFTER_SECONDS) } },
        )
      }
      const staged = staging.open()
      try {
        const { checked, files } = await receive(parts, staged, context)
        // Validate every digest before a connection is taken; the commit repeats the match with content ids.
        matchAttachments(
          checked,
          withContentIds(files, () => ''),
        )
        // The remote look-ups run before the commit's transaction (no connection held while they run); the
        // recipient first, so a refused publication leaves nothing behind, not even cached routing rules.
        const standing = await context.recipients.standingOf(checked.recipient)
        assertActiveRecipient(checked, standing)
        const partitionId = await partitionFor(checked, context)
        const prepared = await prepareContents(files, context)
        const published = await commits.run(() =>
          inTransaction(context.pool, (client) =>
            commit(client, checked, prepared, { partitionId, digital: standing === 'digital' }, context),
          ),
        )
        return published.status
      } finally {
        perClient.leave(request.clientId)
        await staged.discard()
      }
    },
  }
}

/**
 * A recipient enterprise the CBE does not know or that has stopped is refused, as the reference DP does:
 * INVALID_INPUT "… is not a valid company" (federation-duties §7, [E-NSSO S23]).
 */
function assertActiveRecipient(checked: CheckedMessage, standing: RecipientStanding) {
  if (standing === 'notActiveCompany') {
    throw new RegistryError(
      'INVALID_INPUT',
      `The recipient ${checked.recipient.id} is not a valid company (unknown or stopped in the CBE).`,
    )
  }
}

/** Where the message goes and whether its recipient has an e-Box: both known before the transaction. */
interface Destination {
  partitionId: string
  /** e-Box Preferences knows the recipient's e-Box; otherwise the answer carries NO_DIGITAL_USER. */
  digital: boolean
}

/** Reads the whole body: file parts to the staging area, the JSON part checked (short pool queries). */
async function receive(
  parts: AsyncIterable<PublicationPart>,
  staged: StagedRequest,
  context: PublicationContext,
) {
  const { limits } = context
  const files = new Map<string, StagedPart>()
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
      checked = await checkMessage(context.pool, parseMessage(json), context.publisher, limits)
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
    const { fileName, givenName } = fileNameOf(part.fieldname, part.filename)
    const mediaType = mediaTypeOf(part.fieldname, part.mimetype)
    const file = await staged.stage(
      Readable.from(counted(part.file, countBytes)),
      limits.maxFileBytes,
      () =>
        new RegistryError(
          'PAYLOAD_TOO_LARGE',
          `The part "${part.fieldname}" exceeds ${limits.maxFileBytes} bytes.`,
        ),
    )
    files.set(part.fieldname, {
      partName: part.fieldname,
      fileName,
      givenName,
      mediaType,
      sizeBytes: file.sizeBytes,
      sha256: file.sha256,
      staged: file,
    })
  }

  if (!checked) throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is missing.`)
  return { checked, files }
}

function withContentIds(files: Map<string, StagedPart>, contentIdOf: (part: StagedPart) => string) {
  return new Map<string, ReceivedFile>(
    [...files].map(([name, { staged: _staged, givenName: _given, ...file }]) => [
      name,
      { ...file, contentId: contentIdOf(files.get(name)!) },
    ]),
  )
}

/**
 * Before the transaction: each staged file handed to the content store, which moves the bytes it can move without
 * a connection (the object store uploads them here; the PostgreSQL store writes its chunks in the commit).
 */
async function prepareContents(files: Map<string, StagedPart>, context: PublicationContext) {
  const prepared = new Map<StagedPart, PreparedContent>()
  for (const part of files.values()) {
    prepared.set(
      part,
      await context.contentStore.prepare(part.staged, { maxBytes: context.limits.maxFileBytes }),
    )
  }
  return { files, prepared }
}

/** The short transaction: the contents rows (and chunks), then message, event and audit record. */
async function commit(
  client: pg.PoolClient,
  checked: CheckedMessage,
  { files, prepared }: Awaited<ReturnType<typeof prepareContents>>,
  destination: Destination,
  context: PublicationContext,
) {
  const contentIds = new Map<StagedPart, string>()
  for (const [part, content] of prepared) contentIds.set(part, (await content.commit(client)).contentId)
  const attachments = matchAttachments(
    checked,
    withContentIds(files, (part) => contentIds.get(part)!),
  )
  const givenNames = [...files.values()].map(({ partName, fileName, givenName }) => ({
    partName,
    fileName,
    givenName,
  }))
  return store(client, checked, attachments, destination, givenNames, context)
}

async function store(
  client: pg.PoolClient,
  checked: CheckedMessage,
  attachments: StoredAttachment[],
  { partitionId, digital }: Destination,
  givenNames: { partName: string; fileName: string; givenName: string }[],
  context: PublicationContext,
) {
  const { message, recipient } = checked
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
    action: checked.action,
    originalMessageId: message.originalMessageId,
    // structuredData is accepted and not kept (contract decision "structuredData").
    idempotencyKey: context.publisher.idempotencyKey,
    publishedByClient: context.clientId,
    attachments,
  })
  if (!inserted) throw new RegistryError('DUPLICATE_PUBLICATION')

  await recordRecipientEbox(client, recipient)
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
    ...(message.originalMessageId !== undefined && { originalMessageId: message.originalMessageId }),
    messageId,
    attachments: attachments.map((attachment, index) => ({
      attachmentId: inserted.attachmentIds[index],
      size: attachment.sizeBytes / 1024,
      digestValue: attachment.sha256,
      digestMethod: 'sha_256',
    })),
    ...auditedFileNames(givenNames),
  })
  return {
    status: {
      messageId,
      expirationDate,
      ...(!digital && {
        code: 'NO_DIGITAL_USER',
        message: 'The recipient has no e-Box (e-Box Preferences); the message is published and waits there.',
      }),
    },
  }
}

/** File names the sender gave that were cleaned before storing: as given, for the audit trail only. */
function auditedFileNames(names: { partName: string; fileName: string; givenName: string }[]) {
  const cleaned = names.filter(({ fileName, givenName }) => fileName !== givenName)
  return cleaned.length > 0 ? { fileNamesAsGiven: cleaned } : {}
}

/**
 * The recipient partition (federation-duties §3.3): the cached routing rules of the recipient enterprise, fetched
 * from the Partition service when nothing is cached; GENERAL when none match, for citizens, and when the rules
 * cannot be known (no service configured, or it fails: docs/contract-decisions.md). Resolved before the commit's
 * transaction: a remote call never runs while a connection is held.
 */
async function partitionFor(checked: CheckedMessage, context: PublicationContext): Promise<string> {
  const { message, recipient } = checked
  if (recipient.eboxType !== 'enterprise') return CONTRACT.generalPartition
  const rules = await cachedRoutingRules(context.pool, context.routingRulesSource, recipient.id, (error) =>
    context.log.warn(
      { err: error, enterpriseNumber: recipient.id },
      'routing rules unavailable; filed in GENERAL',
    ),
  )
  return routeMessage(
    rules ?? [],
    {
      messageTypeId: message.messageTypeId,
      senderApplicationId: message.senderApplicationId,
      senderOrganizationId: context.publisher.enterpriseNumber,
    },
    CONTRACT.generalPartition,
  )
}
