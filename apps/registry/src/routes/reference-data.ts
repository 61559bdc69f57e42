import {
  CONTRACT,
  IMAGE_MEDIA_TYPES,
  MessageType,
  MessageTypes,
  PagingQuery,
  RegistryError,
  SenderApplication,
  SenderApplications,
  SenderOrganization,
  SenderOrganizations,
} from '@ebox/contract'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { type TSchema, Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { absoluteImageHrefs } from '../plugins/app/public-url.ts'
import { binaryContent, errorResponses } from '../plugins/external/openapi.ts'
import type { CachedAnswer } from '../reference-data/cache.ts'
import {
  getImage,
  getReferenceData,
  listReferenceData,
  type ReferenceCollection,
} from '../repositories/reference-data/read.ts'
import { etagOf, sendCacheable, sendTagged } from './consultation-http.ts'

const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) })
const ImageParams = Type.Object({
  id: Type.String({ maxLength: 200 }),
  imageId: Type.String({ maxLength: 200 }),
})

interface Resource {
  /** Path segment and OpenAPI names. */
  collection: ReferenceCollection
  singular: string
  item: TSchema
  list: TSchema
  images?: 'organization' | 'application'
}

const RESOURCES: Resource[] = [
  {
    collection: 'messageTypes',
    singular: 'MessageType',
    item: MessageType,
    list: MessageTypes,
  },
  {
    collection: 'senderApplications',
    singular: 'SenderApplication',
    item: SenderApplication,
    list: SenderApplications,
    images: 'application',
  },
  {
    collection: 'senderOrganizations',
    singular: 'SenderOrganization',
    item: SenderOrganization,
    list: SenderOrganizations,
    images: 'organization',
  },
]

/** The body as the route's 200 schema serializes it (what `reply.send(value)` would write), and its ETag. */
function answerOf(reply: FastifyReply, value: object): CachedAnswer {
  const body = reply.serialize(value)
  return { body: typeof body === 'string' ? body : new TextDecoder().decode(body), etag: etagOf(value) }
}

/** Sends an answer already serialized (a string body skips the serializer). */
const sendAnswer = (
  request: FastifyRequest,
  reply: FastifyReply,
  cacheControl: string,
  answer: CachedAnswer,
) => sendTagged(request, reply, cacheControl, answer.etag, answer.body, 'application/json; charset=utf-8')

/**
 * Reference data (§5.4): lists, details and logo content of message types, sender applications and sender
 * organisations, under every prefix of CONTRACT.referenceDataPrefixes. Every answer is cacheable
 * (CONTRACT.referenceDataCacheControl) with an ETag, and If-None-Match answers 304. Lists and details come from
 * the reference-data cache (app.referenceDataCache, in memory, serialized once) when it holds them; logos and 404s always from the database.
 */
export default async function referenceDataRoutes(instance: FastifyInstance) {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>()
  const { pool, publicBaseUrl, referenceDataCache: answers } = instance
  const cache = CONTRACT.referenceDataCacheControl
  const notModified = { description: 'Not modified: the If-None-Match ETag is current.', type: 'null' }

  for (const prefix of CONTRACT.referenceDataPrefixes) {
    const suffix = prefix === CONTRACT.referenceDataPrefixes[0] ? '' : `_${prefix.slice(1)}`
    for (const resource of RESOURCES) {
      const base = `${prefix}/${resource.collection}`
      app.get(
        base,
        {
          config: { operation: 'referenceData' },
          schema: {
            tags: ['ReferenceData'],
            operationId: `list${resource.singular}s${suffix}`,
            summary: `List the ${resource.collection}`,
            querystring: PagingQuery,
            response: { 200: resource.list, 304: notModified, ...errorResponses(400, 401, 403, 500) },
          },
        },
        async (request, reply) => {
          const paging = {
            page: request.query.page ?? 1,
            pageSize: request.query.pageSize ?? CONTRACT.paging.defaultPageSize,
          }
          const key = `${resource.collection}?page=${paging.page}&pageSize=${paging.pageSize}`
          const answer =
            answers.get(key) ??
            (await answers.load(key, async () => {
              const page = await listReferenceData(pool, resource.collection, paging)
              absoluteImageHrefs(publicBaseUrl, page.items)
              // Pages past the end are not kept: any page number may be asked, the cache would fill with them.
              return { answer: answerOf(reply, page), keep: page.items.length > 0 }
            }))
          return sendAnswer(request, reply, cache, answer)
        },
      )
      app.get(
        `${base}/:id`,
        {
          config: { operation: 'referenceData' },
          schema: {
            tags: ['ReferenceData'],
            operationId: `get${resource.singular}${suffix}`,
            summary: `One of the ${resource.collection}`,
            params: IdParams,
            response: { 200: resource.item, 304: notModified, ...errorResponses(401, 403, 404, 500) },
          },
        },
        async (request, reply) => {
          const { id } = request.params
          const key = `${resource.collection}/${id}`
          const answer =
            answers.get(key) ??
            (await answers.load(key, async () => {
              const item = await getReferenceData(pool, resource.collection, id)
              if (!item) throw new RegistryError('NOT_FOUND', `No such ${resource.singular}.`)
              absoluteImageHrefs(publicBaseUrl, [item])
              return { answer: answerOf(reply, item), keep: true }
            }))
          return sendAnswer(request, reply, cache, answer)
        },
      )
      const owner = resource.images
      if (owner) {
        app.get(
          `${base}/:id/images/:imageId/content`,
          {
            config: { operation: 'referenceData' },
            schema: {
              tags: ['ReferenceData'],
              operationId: `get${resource.singular}ImageContent${suffix}`,
              summary: `A logo of one of the ${resource.collection}`,
              description: 'The implementation of this operation is optional.',
              params: ImageParams,
              response: {
                200: {
                  description: 'The image bytes.',
                  content: binaryContent(IMAGE_MEDIA_TYPES),
                },
                304: notModified,
                ...errorResponses(401, 403, 404, 500),
              },
            },
          },
          async (request, reply) => {
            const image = await getImage(pool, owner, request.params.id, request.params.imageId)
            if (!image) throw new RegistryError('NOT_FOUND', 'No such image.')
            reply.type(image.mediaType)
            return sendCacheable(request, reply, cache, image.content)
          },
        )
      }
    }
  }
}
