import { Readable } from 'node:stream'
import { ATTACHMENT_MEDIA_TYPES, Attachment, Attachments, RegistryError } from '@ebox/contract'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { scopeOf } from '../auth/caller.ts'
import { parseRange } from '../content/range.ts'
import { absoluteAttachmentHrefs } from '../plugins/app/public-url.ts'
import { binaryContent, errorResponses } from '../plugins/external/openapi.ts'
import { getAttachment, getAttachments } from '../repositories/messages/read.ts'
import { markRead } from '../repositories/messages/write.ts'
import { contentDisposition } from './consultation-http.ts'
import { MessageParams } from './messages.ts'

const AttachmentParams = Type.Object({
  messageId: Type.String({ maxLength: 200 }),
  attachmentId: Type.String({ maxLength: 200 }),
})

const digestDetails = (attachment: Attachment) => ({
  attachmentId: attachment.attachmentId,
  mediaType: attachment.mediaType,
  size: attachment.size,
  digestValue: attachment.digest.digestValue,
  digestMethod: attachment.digest.digestMethod,
})

/**
 * Attachments of a message and their content (§5.2). The content streams from its store (PostgreSQL chunks or
 * the object store: src/content/store.ts), whole or one byte range (PDF viewers); the main attachment's content
 * marks the message read (once), annexes do not. HEAD answers the same headers without reading the content (and
 * marks nothing).
 */
export default async function attachmentRoutes(instance: FastifyInstance) {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { pool, publicBaseUrl } = instance

  app.get(
    '/ebox/messages/:messageId/attachments',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'listAttachments',
        summary: 'The attachments of a message',
        params: MessageParams,
        response: { 200: Attachments, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId } = request.params
      const attachments = await getAttachments(pool, scope, messageId)
      if (!attachments) throw new RegistryError('NOT_FOUND', 'No such message.')
      absoluteAttachmentHrefs(publicBaseUrl, attachments)
      request.auditDetails = { messageId, attachments: attachments.map(digestDetails) }
      return { items: attachments, totalItems: attachments.length }
    },
  )

  app.get(
    '/ebox/messages/:messageId/attachments/:attachmentId',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'getAttachment',
        summary: 'One attachment of a message',
        params: AttachmentParams,
        response: { 200: Attachment, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId, attachmentId } = request.params
      const found = await getAttachment(pool, scope, messageId, attachmentId)
      if (!found) throw new RegistryError('NOT_FOUND', 'No such attachment.')
      absoluteAttachmentHrefs(publicBaseUrl, [found.attachment])
      request.auditDetails = { messageId, ...digestDetails(found.attachment) }
      return found.attachment
    },
  )

  app.get(
    '/ebox/messages/:messageId/attachments/:attachmentId/content',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'getAttachmentContent',
        summary: 'The content of an attachment',
        description:
          "Streamed with the attachment's media type as Content-Type, its Content-Length and a " +
          'Content-Disposition carrying its file name. Reading the main attachment marks the message read. ' +
          'One byte range may be asked for (`Range: bytes=…`, RFC 9110): 206 with Content-Range, or 416 when ' +
          'the range starts past the end; a request for several ranges receives the whole content.',
        params: AttachmentParams,
        response: {
          200: {
            description: 'The bytes of the attachment.',
            content: binaryContent(ATTACHMENT_MEDIA_TYPES),
          },
          206: {
            description: 'The requested byte range of the attachment (Content-Range).',
            content: binaryContent(ATTACHMENT_MEDIA_TYPES),
          },
          ...errorResponses(400, 401, 403, 404, 416, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request)
      const { messageId, attachmentId } = request.params
      const found = await getAttachment(pool, scope, messageId, attachmentId)
      if (!found) throw new RegistryError('NOT_FOUND', 'No such attachment.')
      request.auditDetails = { messageId, attachmentId, contentId: found.contentId }
      const size = found.sizeBytes
      const wanted = parseRange(request.headers.range, size)
      reply.header('accept-ranges', 'bytes')
      if (wanted.kind === 'unsatisfiable') {
        throw new RegistryError(
          'RANGE_NOT_SATISFIABLE',
          `The range "${request.headers.range}" starts past the end of the ${size} bytes of the attachment.`,
          { headers: { 'content-range': `bytes */${size}` } },
        )
      }
      const range = wanted.kind === 'partial' ? wanted.range : undefined
      // Opened before any header and before the message is marked read: an unreachable store is a clean 503.
      const content =
        request.method === 'HEAD' ? undefined : await app.contentStore.open(found.contentId, size, range)
      if (content && found.attachment.isMainContent && !found.messageRead) {
        try {
          await markRead(pool, scope, messageId)
        } catch (error) {
          content.destroy()
          throw error
        }
      }
      reply
        .type(found.attachment.mediaType)
        .header('content-length', String(range ? range.end - range.start + 1 : size))
        .header('content-disposition', contentDisposition(found.attachment.fileName))
      if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      // HEAD: Fastify drops a stream's body but keeps our Content-Length (an empty payload would reset it to 0).
      return reply.send(content ?? Readable.from([]))
    },
  )
}
