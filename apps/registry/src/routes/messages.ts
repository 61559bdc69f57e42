import {
  Body,
  CONTRACT,
  ListMessagesQuery,
  Message,
  MessageAction,
  MessageActionUpdate,
  Messages,
  MessagesToUpdate,
  PaymentData,
  RegistryError,
} from '@ebox/contract'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { type TSchema, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { scopeOf } from '../auth/caller.ts'
import { absoluteMessageHrefs } from '../plugins/app/public-url.ts'
import { errorResponses } from '../plugins/external/openapi.ts'
import { listMessages } from '../repositories/messages/list.ts'
import { getBody, getMessage, getPaymentData } from '../repositories/messages/read.ts'
import {
  executeMessageAction,
  markRead,
  recordConsultation,
  updateMessages,
} from '../repositories/messages/write.ts'

export const MessageParams = Type.Object({ messageId: Type.String({ maxLength: 200 }) })

/** PATCH bodies: only the declared media types (Fastify would also parse text/plain), checked before reading. */
async function patchMediaTypes(request: FastifyRequest): Promise<void> {
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (!(CONTRACT.updateMediaTypes as readonly string[]).includes(mediaType)) {
    throw new RegistryError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${request.method} ${request.routeOptions.url} takes ${CONTRACT.updateMediaTypes.join(' or ')}.`,
    )
  }
}

/** PATCH requests are validated without type coercion: `"visible": null` must not turn into false. */
function strictBody({ schema, httpPart }: { schema: unknown; httpPart?: string }) {
  const compiled = TypeCompiler.Compile(schema as TSchema)
  const part = httpPart === 'params' ? 'path parameter' : (httpPart ?? 'body')
  return (data: unknown) => {
    const error = compiled.Errors(data).First()
    return error
      ? { error: new RegistryError('INVALID_INPUT', `Invalid ${part} ${error.path}: ${error.message}`) }
      : { value: data }
  }
}
const OPTIONAL = 'The implementation of this operation is optional.'

/**
 * The message operations of the consultation profile (§5.1–5.3): list, detail, body, payment data, PATCH.
 */
export default async function messageRoutes(instance: FastifyInstance) {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { pool, publicBaseUrl } = instance

  // PATCH bodies are JSON Merge Patch documents (RFC 7396); plain JSON is accepted as well.
  for (const mediaType of CONTRACT.updateMediaTypes) {
    if (mediaType === 'application/json') continue
    app.addContentTypeParser(mediaType, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
  }

  app.get(
    '/ebox/messages',
    {
      config: { operation: 'listMessages' },
      schema: {
        tags: ['Messages'],
        operationId: 'listMessages',
        summary: 'List the messages of the e-Box',
        description:
          'Newest publication first (ties: messageId descending). Filters are ANDed; q needs qlang and matches ' +
          'a case- and accent-insensitive substring of subject, business data values, forTheAttentionOf and the ' +
          'names of the sender organisation, sender application and message type in that language. Expired ' +
          'messages are left out unless an expired* filter is given.',
        querystring: ListMessagesQuery,
        response: { 200: Messages, ...errorResponses(400, 401, 403, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { page, pageSize, ...filters } = request.query
      if (filters.q !== undefined && filters.qlang === undefined) {
        throw new RegistryError('INVALID_INPUT', 'q needs qlang (fr, nl or de).')
      }
      const result = await listMessages(pool, scope, filters, {
        page: page ?? 1,
        pageSize: pageSize ?? CONTRACT.paging.defaultPageSize,
      })
      absoluteMessageHrefs(publicBaseUrl, result.items)
      await recordConsultation(pool, scope).catch((error: unknown) =>
        request.log.warn({ err: error }, 'could not record the e-Box consultation'),
      )
      request.auditDetails = { messageIds: result.items.map((message) => message.messageId) }
      return result
    },
  )

  app.patch(
    '/ebox/messages',
    {
      config: { operation: 'updateMessages' },
      preParsing: patchMediaTypes,
      validatorCompiler: strictBody,
      schema: {
        tags: ['Messages'],
        operationId: 'updateMessages',
        summary: 'Change the visibility of messages or move them to another partition',
        description:
          'application/merge-patch+json. All or nothing: 404 when any messageId is not a message of the ' +
          'e-Box (then nothing changes), 400 for a partition messages cannot be moved to.',
        body: MessagesToUpdate,
        response: {
          200: Type.Null({ description: 'The messages were updated (no body).' }),
          ...errorResponses(400, 401, 403, 404, 415, 500),
        },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request)
      const items = request.body.items
      request.auditDetails = {
        messageIds: items.map((item) => item.messageId),
        changes: items,
      }
      await updateMessages(pool, scope, items)
      // 200 without a body (v2.1); `undefined` is sent as no body at all, not as JSON null.
      return reply.code(200).send(undefined as unknown as null)
    },
  )

  app.patch(
    '/ebox/messages/:messageId/messageAction',
    {
      config: { operation: 'updateMessageAction' },
      preParsing: patchMediaTypes,
      validatorCompiler: strictBody,
      schema: {
        tags: ['Messages'],
        operationId: 'updateMessageAction',
        summary: 'Mark the action a message asks for as executed',
        description:
          'application/merge-patch+json `{ "isExecuted": true }`. Idempotent: the first call sets executionDate, ' +
          `later calls answer the same action. 404 when the message is not in the e-Box or asks for no action. ${OPTIONAL}`,
        params: MessageParams,
        body: MessageActionUpdate,
        response: { 200: MessageAction, ...errorResponses(400, 401, 403, 404, 415, 500) },
      },
    },
    async (request) => {
      const { messageId } = request.params
      const result = await executeMessageAction(pool, scopeOf(request), messageId)
      if (!result) throw new RegistryError('NOT_FOUND', 'No such message.')
      // A repeated call is recorded too (a write is audited unless it certainly failed), saying it changed nothing.
      request.auditDetails = { messageId, changes: request.body, changed: result.changed }
      return result.action
    },
  )

  app.get(
    '/ebox/messages/:messageId',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'getMessage',
        summary: 'One message of the e-Box',
        params: MessageParams,
        response: { 200: Message, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const message = await getMessage(pool, scope, request.params.messageId)
      if (!message) throw new RegistryError('NOT_FOUND', 'No such message.')
      absoluteMessageHrefs(publicBaseUrl, [message])
      request.auditDetails = {
        messageId: message.messageId,
        ...(message.paymentData ? { paymentDataId: message.paymentData.paymentDataId } : {}),
      }
      return message
    },
  )

  app.get(
    '/ebox/messages/:messageId/body',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'getMessageBody',
        summary: 'The body of a message',
        description: `Reading the body of a message whose body is its main content marks it read. ${OPTIONAL}`,
        params: MessageParams,
        response: { 200: Body, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId } = request.params
      const found = await getBody(pool, scope, messageId)
      if (!found) throw new RegistryError('NOT_FOUND', 'No such message.')
      if (!found.body) throw new RegistryError('NOT_FOUND', 'The message has no body.')
      request.auditDetails = { messageId }
      if (found.isMainContent) await markRead(pool, scope, messageId)
      return { bodyContent: found.body }
    },
  )

  app.get(
    '/ebox/messages/:messageId/paymentData',
    {
      config: { operation: 'readMessage' },
      schema: {
        tags: ['Messages'],
        operationId: 'getPaymentData',
        summary: 'The payment data of a message',
        description: OPTIONAL,
        params: MessageParams,
        response: { 200: PaymentData, ...errorResponses(400, 401, 403, 404, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      const { messageId } = request.params
      const paymentData = await getPaymentData(pool, scope, messageId)
      if (paymentData === undefined) throw new RegistryError('NOT_FOUND', 'No such message.')
      if (paymentData === null) throw new RegistryError('NOT_FOUND', 'The message has no payment data.')
      request.auditDetails = { messageId, paymentDataId: paymentData.paymentDataId }
      return paymentData
    },
  )
}
