import {
  ATTACHMENT_MEDIA_TYPES,
  MessageToPublish,
  PublicationStatusMessage,
  RegistryError,
} from '@ebox/contract'
import multipart, { type Multipart } from '@fastify/multipart'
import { type TSchema, Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import pg from 'pg'
import { callerOf } from '../auth/caller.ts'
import { ON_BEHALF_HEADER, publishingEnterpriseOf } from '../auth/message-scope.ts'
import type { PublicationConfig } from '../config.ts'
import { auditInTransaction } from '../plugins/app/audit.ts'
import { errorResponses } from '../plugins/external/openapi.ts'
import { MESSAGE_PART, MESSAGE_PART_MAX_BYTES } from '../services/publication/message-part.ts'
import type { PublicationPart } from '../services/publication/parts.ts'
import { watchUploadRate } from './publication-upload-rate.ts'

/**
 * `POST /ebox/messages` (§5.7, §6.6, federation-duties §7), the HTTP side: a `messageToPublish` JSON part and one
 * file part per attachment, in any order, streamed to the publication service (services/publication/service.ts)
 * as they arrive; headers in, status and Location out, parser and database errors mapped to the error table.
 */

const IDEMPOTENCY_KEY_MAX_LENGTH = 255

const PublicationHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ description: 'RFC 8941 sf-string, e.g. "4f7c…" (quotes included)', maxLength: 600 }),
  ),
  [ON_BEHALF_HEADER]: Type.Optional(
    Type.String({ description: 'Represented enterprise (representative scope and mandate)', maxLength: 20 }),
  ),
})

/**
 * The body as the parts are read (services/publication/): documented only, since the route streams the parts
 * itself. A JSON object part defaults to `application/json` in a multipart body (OpenAPI 3.1 §4.8.14.4), the
 * attachment parts are files.
 */
const PublicationBody: TSchema = Type.Object(
  {
    [MESSAGE_PART]: MessageToPublish,
  },
  {
    description:
      'One `messageToPublish` JSON part (MessageToPublish), as a form field or a file part ' +
      '(`-F messageToPublish=@message.json`), and one file part per attachment, in any order.',
    additionalProperties: Type.String({
      format: 'binary',
      description:
        'One file part per attachment of `messageToPublish`, named by its `httpPartName`, with a file name and ' +
        `one of these media types: ${ATTACHMENT_MEDIA_TYPES.join(', ')}.`,
    }),
  },
)

export default async function publicationRoutes(app: FastifyInstance) {
  const { publication } = app
  const { limits } = publication

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
      config: { operation: 'publishMessage', documentedBody: PublicationBody },
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
          ...errorResponses(400, 401, 403, 408, 409, 413, 415, 429, 503),
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
        const publisher = await publishingEnterpriseOf(
          caller,
          request.headers[ON_BEHALF_HEADER],
          request.server.partitionService,
        )
        const status = await publication.publish(multipartParts(request, limits), {
          clientId: caller.clientId,
          publisher: { enterpriseNumber: publisher, idempotencyKey },
          // The audit record (federation-duties §4) is the transaction's last statement: it exists exactly when
          // the publication does.
          audit: (client, details) => {
            request.auditDetails = details
            return auditInTransaction(client, request, 201)
          },
          log: request.log,
        })
        reply.header('location', `/ebox/messages/${status.messageId}`)
        return reply.code(201).send(status)
      } catch (error) {
        releaseRequestBody(request)
        throw asRegistryError(error)
      }
    },
  )
}

/**
 * The parts of the body; an error of the parser itself is the client's (malformed multipart). A stall (below the
 * minimum upload rate) ends the wait for the next part and the file part being read, with its 408.
 */
async function* multipartParts(
  request: FastifyRequest,
  limits: PublicationConfig,
): AsyncGenerator<PublicationPart> {
  const parts = request.parts()
  // Watched only once the parser reads the body: a listener before that would let the body flow away unread.
  const uploadRate = watchUploadRate(request.raw, limits.minBytesPerSecond, limits.minRateWindowSeconds)
  let current: Multipart | undefined
  uploadRate.stalled.catch((error: Error) => {
    if (current?.type === 'file') current.file.destroy(error)
  })
  try {
    while (true) {
      let next: IteratorResult<Multipart>
      try {
        next = await Promise.race([parts.next(), uploadRate.stalled])
      } catch (error) {
        throw asRegistryError(error, true)
      }
      if (next.done) return
      current = next.value
      yield next.value
    }
  } finally {
    uploadRate.stop()
  }
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
