import { Readable } from 'node:stream'
import { Attachment, Attachments, RegistryError } from '@ebox/contract'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { scopeOf } from '../auth/caller.ts'
import { readContent } from '../db/content-store.ts'
import { errorResponses } from '../plugins/errors.ts'
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
 * Attachments of a message and their content (§5.2). The content streams from PostgreSQL chunk by chunk; the
 * main attachment's content marks the message read (once), annexes do not. HEAD answers the same headers
 * without reading the content (and marks nothing).
 */
export default async function attachmentRoutes(instance: FastifyInstance) {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { pool } = instance

  app.get(
    '/ebox/messages/:messageId/attachments',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'listAttachments',
        summary: 'The attachments of a message',
        security: [{ bearer: [] }],
        params: MessageParams,
        response: { 200: Attachments, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId } = request.params
      const attachments = await getAttachments(pool, scope, messageId)
      if (!attachments) throw new RegistryError('NOT_FOUND', 'No such message.')
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
        security: [{ bearer: [] }],
        params: AttachmentParams,
        response: { 200: Attachment, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId, attachmentId } = request.params
      const found = await getAttachment(pool, scope, messageId, attachmentId)
      if (!found) throw new RegistryError('NOT_FOUND', 'No such attachment.')
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
          'Content-Disposition carrying its file name. Reading the main attachment marks the message read.',
        security: [{ bearer: [] }],
        params: AttachmentParams,
        response: {
          200: {
            description: 'The bytes of the attachment.',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          ...errorResponses(400, 401, 403, 404, 500),
        },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request)
      const { messageId, attachmentId } = request.params
      const found = await getAttachment(pool, scope, messageId, attachmentId)
      if (!found) throw new RegistryError('NOT_FOUND', 'No such attachment.')
      request.auditDetails = { messageId, attachmentId, contentId: found.contentId }
      reply
        .type(found.attachment.mediaType)
        .header('content-length', String(found.sizeBytes))
        .header('content-disposition', contentDisposition(found.attachment.fileName))
      // HEAD: Fastify drops a stream's body but keeps our Content-Length (an empty payload would reset it to 0).
      if (request.method === 'HEAD') return reply.send(Readable.from([]))
      if (found.attachment.isMainContent && !found.messageRead) await markRead(pool, scope, messageId)
      return reply.send(readContent(pool, found.contentId, found.sizeBytes))
    },
  )
}
