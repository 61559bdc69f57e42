import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  ATTACHMENT_MEDIA_TYPES,
  CONTRACT,
  type EboxIdentity,
  fillTranslations,
  formatDateTime,
  isValidEnterpriseNumber,
  isValidSsin,
  MessageToPublish,
  PublicationStatusMessage,
  RegistryError,
  SCOPES,
} from '@ebox/contract'
import multipart, { type Multipart } from '@fastify/multipart'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { FormatRegistry } from '@sinclair/typebox/type'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import pg from 'pg'
import { actingEboxOf, ON_BEHALF_HEADER } from '../auth/message-scope.ts'
import type { Principal } from '../auth/principal.ts'
import type { PublicationConfig } from '../config.ts'
import { writeContent } from '../db/content-store.ts'
import { inTransaction, type Pool } from '../db/pool.ts'
import { enqueueEvent } from '../federation/outbox.ts'
import type { PartitionService } from '../federation/partition-service.ts'
import { auditInTransaction } from '../plugins/audit.ts'
import { callerOf } from '../plugins/auth.ts'
import { errorResponses } from '../plugins/errors.ts'
import { assertStorableText } from '../plugins/input-filter.ts'
import {
  businessDataOf,
  idempotencyKeyTaken,
  insertMessage,
  recipientHasConsulted,
  type StoredAttachment,
  senderConfiguration,
} from '../repositories/publication.ts'
import { replaceRoutingRules, routeMessage, routingRulesFor } from '../repositories/routing-rules.ts'

/**
 * `POST /ebox/messages` (§5.7, §6.6, federation-duties §7): a `messageToPublish` JSON part and one file part per
 * attachment, in any order. The whole request is one transaction, opened before the first part is read: file
 * parts are streamed into content storage as they arrive (SHA-256 computed on the way, never a whole file in
 * memory) and matched with the JSON once both are known. Any failure — invalid input, a client that goes away,
 * a killed process — rolls everything back: no message, no content, no event.
 */
export interface PublicationRouteOptions {
  pool: Pool
  limits: PublicationConfig
  /**
   * Where routing rules not yet cached come from (and are then cached); undefined = no Partition service is
   * configured: messages go to GENERAL. Mandates go through `request.server.partitionService` (actingEboxOf).
   */
  routingRulesSource: PartitionService | undefined
}

export const MESSAGE_PART = 'messageToPublish'
/** The JSON part is small (subject ≤ 400 chars, ≤ 50 business data …): 1 MiB is far above any valid one. */
export const MESSAGE_PART_MAX_BYTES = 1024 * 1024
const FILE_NAME_MAX_LENGTH = 255
const IDEMPOTENCY_KEY_MAX_LENGTH = 255

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set(
    'date-time',
    (value) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value) &&
      !Number.isNaN(Date.parse(value)),
  )
}
if (!FormatRegistry.Has('date')) {
  FormatRegistry.Set('date', (value) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value)))
}
const messageValidator = TypeCompiler.Compile(MessageToPublish)

const PublicationHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'RFC 8941 sf-string, e.g. "4f7c…" (quotes included)', maxLength: 600 }),
  ),
  [ON_BEHALF_HEADER]: Type.Optional(
    Type.String({ description: 'Represented enterprise (representative scope and mandate)', maxLength: 20 }),
  ),
})

export default async function publicationRoutes(app: FastifyInstance, options: PublicationRouteOptions) {
  const { pool, limits, routingRulesSource } = options

  // Registered here, so that only this route parses multipart. Its limits replace the framework's bodyLimit,
  // which never applies to a streamed multipart body.
  await app.register(multipart, {
    limits: {
      // One byte over the limit reaches the content store, which refuses it (413) without reading the rest.
      fileSize: limits.maxFileBytes + 1,
      files: limits.maxAttachments + 1, // + messageToPublish sent as a file part
      fields: 1,
      fieldSize: MESSAGE_PART_MAX_BYTES,
      parts: limits.maxAttachments + 2,
      headerPairs: 100,
    },
  })

  app.post(
    '/ebox/messages',
    {
      config: { operation: 'publishMessage' },
      schema: {
        tags: ['Publication'],
        operationId: 'publishMessage',
        summary: 'Publish a message into an e-Box hosted here',
        description:
          'multipart/form-data: a `messageToPublish` JSON part (MessageToPublish) and one file part per attachment, ' +
          'named by its `httpPartName`, in any order. Digests are SHA-256, base64url.',
        consumes: ['multipart/form-data'],
        headers: PublicationHeaders,
        response: {
          201: PublicationStatusMessage,
          ...errorResponses(400, 401, 403, 409, 413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request)
      if (!request.isMultipart()) {
        throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', 'Publication takes a multipart/form-data body.')
      }
      try {
        const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key'])
        const declaredLength = Number(request.headers['content-length'])
        if (declaredLength > limits.maxRequestBytes) {
          throw new RegistryError(
            'PAYLOAD_TOO_LARGE',
            `The request exceeds ${limits.maxRequestBytes} bytes (Content-Length ${declaredLength}).`,
          )
        }
        const publisher = await publishingEnterprise(request, caller)
        const published = await inTransaction(pool, (client) =>
          receiveAndPublish(client, request, {
            caller,
            publisher,
            idempotencyKey,
            limits,
            routingRulesSource,
            request,
          }),
        )
        reply.header('location', `/ebox/messages/${published.status.messageId}`)
        return reply.code(201).send(published.status)
      } catch (error) {
        releaseRequestBody(request)
        throw asRegistryError(error)
      }
    },
  )
}

interface PublicationContext {
  caller: Principal
  /** Enterprise the message is sent by: the caller's, or the one it represents under a verified mandate. */
  publisher: string
  idempotencyKey: string | undefined
  limits: PublicationConfig
  routingRulesSource: PartitionService | undefined
  request: FastifyRequest
}

/** A file part stored in the open transaction, waiting to be matched with its attachment. */
interface ReceivedFile extends Omit<StoredAttachment, 'title' | 'isMainContent' | 'isAttachmentSigned'> {
  partName: string
}

/** The JSON part once it passed every check that does not need the files. */
interface CheckedMessage {
  message: MessageToPublish
  recipient: EboxIdentity
  attachments: NonNullable<MessageToPublish['attachments']>
}

async function receiveAndPublish(
  client: pg.PoolClient,
  request: FastifyRequest,
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

  for await (const part of multipartParts(request)) {
    if (part.fieldname === MESSAGE_PART) {
      if (checked) throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is given twice.`)
      const json = part.type === 'file' ? await readSmallPart(part.file) : fieldJson(part)
      countBytes(typeof json === 'string' ? Buffer.byteLength(json) : 0)
      checked = await checkMessage(client, parseMessage(json), context)
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
    const stored = await writeContent(client, counted(part.file, countBytes), {
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
  return publish(client, checked, attachments, context)
}

/** The parts of the body; an error of the parser itself is the client's (malformed multipart). */
async function* multipartParts(request: FastifyRequest): AsyncGenerator<Multipart> {
  const parts = request.parts()
  while (true) {
    let next: IteratorResult<Multipart>
    try {
      next = await parts.next()
    } catch (error) {
      throw asRegistryError(error, true)
    }
    if (next.done) return
    yield next.value
  }
}

/** Counts every byte of a file part against the request's budget as it streams by. */
async function* counted(source: Readable, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer>) {
    count(chunk.length)
    yield chunk
  }
}

/** messageToPublish sent as a file part (curl -F messageToPublish=@message.json): read it, bounded. */
async function readSmallPart(source: Readable): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MESSAGE_PART_MAX_BYTES) {
      throw new RegistryError(
        'PAYLOAD_TOO_LARGE',
        `The part "${MESSAGE_PART}" exceeds ${MESSAGE_PART_MAX_BYTES} bytes.`,
      )
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** A field part's value: a string, or already parsed when the part declared `Content-Type: application/json`. */
function fieldJson(part: Extract<Multipart, { type: 'field' }>): unknown {
  if (part.valueTruncated) {
    throw new RegistryError(
      'PAYLOAD_TOO_LARGE',
      `The part "${MESSAGE_PART}" exceeds ${MESSAGE_PART_MAX_BYTES} bytes.`,
    )
  }
  return part.value
}

function parseMessage(json: unknown): MessageToPublish {
  let value = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch {
      throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is not valid JSON.`)
    }
  }
  // The edge filter cannot see inside multipart: the same floor (no NUL, no lone surrogate) applies here.
  assertStorableText(value, MESSAGE_PART)
  assertDigestEncoding(value)
  if (!messageValidator.Check(value)) {
    const first = messageValidator.Errors(value).First()
    const where = first?.path ? `${MESSAGE_PART}${first.path}` : MESSAGE_PART
    throw new RegistryError(
      'INVALID_INPUT',
      `Invalid ${where}: ${first?.message ?? 'not a MessageToPublish'}.`,
    )
  }
  return value
}

/**
 * A digest in hex or padded base64 can never equal the base64url SHA-256 of the bytes: the NSSO answers
 * DIGEST_DO_NOT_MATCH for those (brief §6.4), and so do we, before the schema would call it INVALID_INPUT.
 */
function assertDigestEncoding(value: unknown) {
  const attachments = (value as { attachments?: unknown } | null)?.attachments
  if (!Array.isArray(attachments)) return
  for (const attachment of attachments as { httpPartName?: unknown; digest?: { digestValue?: unknown } }[]) {
    const digestValue = attachment?.digest?.digestValue
    if (typeof digestValue === 'string' && !/^[A-Za-z0-9_-]{43}$/.test(digestValue)) {
      throw new RegistryError(
        'DIGEST_DO_NOT_MATCH',
        `The digest of "${String(attachment.httpPartName)}" is not a SHA-256 in base64url (RFC 4648 §5, 43 ` +
          'characters, no padding): hex or base64 never match.',
      )
    }
  }
}

/** Every check the JSON part allows on its own and against reference data, before any file is matched. */
async function checkMessage(
  client: pg.PoolClient,
  message: MessageToPublish,
  context: PublicationContext,
): Promise<CheckedMessage> {
  const attachments = message.attachments ?? []
  if (attachments.length > context.limits.maxAttachments) {
    throw new RegistryError(
      'INVALID_INPUT',
      `A message has at most ${context.limits.maxAttachments} attachments.`,
    )
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

  if (message.sender.enterpriseNumber !== context.publisher) {
    throw new RegistryError(
      'INVALID_SENDER',
      'User credentials do not match the payload: sender.enterpriseNumber.',
    )
  }
  const configuration = await senderConfiguration(client, {
    senderOrganizationId: context.publisher,
    senderApplicationId: message.senderApplicationId,
    messageTypeId: message.messageTypeId,
    recipientType: recipient.eboxType,
  })
  if (!configuration.messageTypeKnown) {
    throw new RegistryError('INVALID_INPUT', `Unknown messageTypeId "${message.messageTypeId}".`)
  }
  if (!configuration.applicationKnown) {
    throw new RegistryError('INVALID_INPUT', `Unknown senderApplicationId "${message.senderApplicationId}".`)
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
    context.idempotencyKey !== undefined &&
    (await idempotencyKeyTaken(client, {
      senderEnterpriseNumber: context.publisher,
      senderApplicationId: message.senderApplicationId,
      idempotencyKey: context.idempotencyKey,
    }))
  ) {
    throw new RegistryError('DUPLICATE_PUBLICATION')
  }
  return { message, recipient, attachments }
}

function assertDeclared(checked: CheckedMessage, partName: string) {
  if (!checked.attachments.some((a) => a.httpPartName === partName)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The part "${partName}" matches no attachment of ${MESSAGE_PART}.`,
    )
  }
}

/** Attachments and file parts one to one; then each given digest against the bytes actually received. */
function matchAttachments(checked: CheckedMessage, files: Map<string, ReceivedFile>): StoredAttachment[] {
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

async function publish(
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
      senderOrganizationId: context.publisher,
    },
    context,
  )
  const messageId = randomUUID()
  const inserted = await insertMessage(client, {
    messageId,
    recipient,
    partitionId,
    senderEnterpriseNumber: context.publisher,
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
    idempotencyKey: context.idempotencyKey,
    publishedByClient: context.caller.clientId,
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
      senderOrganizationId: context.publisher,
      senderApplicationId: message.senderApplicationId,
    })
  }
  // The audit record (federation-duties §4) is the transaction's last statement: it exists exactly when the
  // publication does.
  context.request.auditDetails = {
    messageId,
    attachments: attachments.map((attachment, index) => ({
      attachmentId: inserted.attachmentIds[index],
      size: attachment.sizeBytes / 1024,
      digestValue: attachment.sha256,
      digestMethod: 'sha_256',
    })),
  }
  await auditInTransaction(client, context.request, 201)
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
  let rules = await routingRulesFor(client, recipient.id)
  if (rules === undefined && context.routingRulesSource) {
    const askedAt = new Date()
    try {
      rules = await context.routingRulesSource.routingRules(recipient.id)
    } catch (error) {
      context.request.log.warn(
        { err: error, enterpriseNumber: recipient.id },
        'routing rules unavailable; filed in GENERAL',
      )
    }
    if (rules !== undefined) await replaceRoutingRules(client, recipient.id, rules, askedAt)
  }
  return routeMessage(rules ?? [], routed, CONTRACT.generalPartition)
}

/**
 * The enterprise the caller publishes for (§3.3, federation-duties §7): its own with `publicationsender`; with
 * the representative scope and `On-Behalf-Of-Enterprise-Number`, the represented one once the Partition service
 * confirms a `publish` mandate (actingEboxOf). Only enterprises publish.
 */
async function publishingEnterprise(request: FastifyRequest, caller: Principal): Promise<string> {
  const acting = await actingEboxOf(request, 'publish')
  if (acting.eboxType !== 'enterprise') {
    throw new RegistryError('FORBIDDEN', 'The access token is not bound to an enterprise.')
  }
  if (request.headers[ON_BEHALF_HEADER] === undefined && !caller.scopes.has(SCOPES.publicationSender)) {
    throw new RegistryError(
      'FORBIDDEN',
      "Publishing for the caller's own enterprise takes the publicationsender scope; a representative names " +
        'the represented enterprise in On-Behalf-Of-Enterprise-Number.',
    )
  }
  return acting.id
}

/** `Idempotency-Key` is an RFC 8941 sf-string: printable ASCII in double quotes, `\"` and `\\` escaped. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined
  const raw = (Array.isArray(header) ? header.join(',') : header).trim()
  const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(raw)
  const key = match?.[1]?.replace(/\\(["\\])/g, '$1')
  if (!key || key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    throw new RegistryError(
      'INVALID_INPUT',
      `Idempotency-Key must be an RFC 8941 string of 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable characters in double quotes, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324".`,
    )
  }
  return key
}

/** The part's file name: required, without path, percent-decoded when the sender encoded it (§6.6). */
function fileNameOf(partName: string, raw: string | undefined): string {
  let name = raw?.trim() ?? ''
  if (/%[0-9A-Fa-f]{2}/.test(name)) {
    try {
      name = decodeURIComponent(name)
    } catch {
      // Not percent-encoding after all: keep the name as given.
    }
  }
  if (name.length === 0) throw new RegistryError('INVALID_INPUT', `The part "${partName}" has no file name.`)
  if (name.length > FILE_NAME_MAX_LENGTH || /\p{Cc}/u.test(name)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The file name of "${partName}" must be 1 to ${FILE_NAME_MAX_LENGTH} characters without control characters.`,
    )
  }
  return name
}

function mediaTypeOf(partName: string, raw: string | undefined): string {
  const mediaType = raw?.toLowerCase() ?? ''
  if (!(ATTACHMENT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The part "${partName}" has media type "${raw ?? ''}"; allowed: ${ATTACHMENT_MEDIA_TYPES.join(', ')}.`,
    )
  }
  return mediaType
}

/** PostgreSQL ended a transaction left idle too long: here, a client that stopped sending mid-upload. */
const IDLE_IN_TRANSACTION_TIMEOUT = '25P03'

const MULTIPART_CODES: Record<string, RegistryError['code']> = {
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'INVALID_INPUT',
  FST_PARTS_LIMIT: 'INVALID_INPUT',
  FST_FIELDS_LIMIT: 'INVALID_INPUT',
  FST_PROTO_VIOLATION: 'INVALID_INPUT',
  FST_INVALID_JSON_FIELD_ERROR: 'INVALID_INPUT',
  FST_MP_PREMATURE_CLOSE: 'INVALID_INPUT',
}
const MULTIPART_MESSAGES: Record<string, string> = {
  FST_FILES_LIMIT: 'Too many file parts.',
  FST_PARTS_LIMIT: 'Too many parts.',
  FST_FIELDS_LIMIT: `Only the "${MESSAGE_PART}" part may be a form field.`,
  FST_INVALID_JSON_FIELD_ERROR: `The part "${MESSAGE_PART}" is not valid JSON.`,
  FST_MP_PREMATURE_CLOSE: 'The request ended before the multipart body was complete.',
}

/**
 * Errors of the multipart parser become 400 INVALID_INPUT (413 for a file over the limit); RegistryErrors and
 * everything else (database, bugs) pass unchanged. `fromParser`: raised by the parser itself, so any error is
 * a malformed body.
 */
function asRegistryError(error: unknown, fromParser = false): unknown {
  if (error instanceof pg.DatabaseError && error.code === IDLE_IN_TRANSACTION_TIMEOUT) {
    return new RegistryError(
      'INVALID_INPUT',
      'The upload paused longer than the service waits for data; send the body without long pauses.',
      { cause: error },
    )
  }
  if (error instanceof RegistryError || error instanceof pg.DatabaseError) return error
  const code = (error as { code?: unknown })?.code
  if (typeof code === 'string' && code in MULTIPART_CODES) {
    return new RegistryError(MULTIPART_CODES[code]!, MULTIPART_MESSAGES[code], { cause: error })
  }
  const message = error instanceof Error ? error.message : ''
  if (
    fromParser ||
    /multipart|boundary|unexpected end of form|terminated early|premature close/i.test(message)
  ) {
    return new RegistryError('INVALID_INPUT', `Malformed multipart body: ${message || 'unreadable'}.`, {
      cause: error,
    })
  }
  return error
}

/**
 * After a failure the body may be half read: stop parsing and let the rest of it drain, so the client receives
 * the error and the connection stays usable (what Node does for a body nobody read).
 */
function releaseRequestBody(request: FastifyRequest) {
  const raw = request.raw
  if (raw.complete || raw.destroyed) return
  raw.unpipe()
  raw.resume()
}
