import { RegistryError, UNIMPLEMENTED_OPERATIONS } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import { errorResponses } from '../plugins/external/openapi.ts'

/** `{messageId}` (OpenAPI) → `:messageId` (Fastify). */
const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1')

/**
 * The optional operations not served (`UNIMPLEMENTED_OPERATIONS`, @ebox/contract): 501 NOT_IMPLEMENTED with a
 * StatusMessage rather than 404 (brief §5.6), once the caller is authenticated with a scope of the operation's
 * profile, like every other route (closed by default).
 */
export default async function notImplementedRoutes(app: FastifyInstance) {
  for (const entry of UNIMPLEMENTED_OPERATIONS) {
    app.route({
      method: entry.method,
      url: fastifyPath(entry.path),
      config: { operation: entry.operation },
      schema: {
        tags: ['NotImplemented'],
        operationId: entry.operationId,
        summary: `${entry.operationId}: optional, not provided (501)`,
        response: errorResponses(401, 403, 501),
      },
      handler: async () => {
        throw new RegistryError(
          'NOT_IMPLEMENTED',
          `${entry.operationId} is optional and not provided by this service.`,
        )
      },
    })
  }
}
