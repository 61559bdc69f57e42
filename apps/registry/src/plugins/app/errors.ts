import { randomUUID } from 'node:crypto'
import {
  codeForStatus,
  type DeploymentEnvironment,
  type ErrorCode,
  RegistryError,
  toStatusMessage,
} from '@ebox/contract'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../db/unavailable.ts'

/**
 * Every error leaves as a `StatusMessage` built from the error table: validation failures as 400, unknown
 * routes as 404, framework limits with their status, anything unexpected as 500 without internals.
 */
export default fp(
  async function errorsPlugin(app: FastifyInstance, options: { environment: DeploymentEnvironment }) {
    const send = (reply: FastifyReply, code: ErrorCode, status: number, message?: string) => {
      const body = toStatusMessage(randomUUID(), code, options.environment, message)
      reply.log.info({ errorId: body.id, code, status }, 'request failed')
      return reply.code(status).type('application/json; charset=utf-8').send(body)
    }

    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (error instanceof RegistryError) {
        reply.headers(error.headers)
        if (error.status >= 500) request.log.error({ err: error.cause ?? error }, error.message)
        return send(reply, error.code, error.status, error.message)
      }
      if (error.validation) {
        const where = error.validationContext ? `${error.validationContext} ` : ''
        return send(
          reply,
          'INVALID_INPUT',
          400,
          `Invalid ${where}${error.message.replace(/^(querystring|body|params|headers)\/?/, '')}`.trim(),
        )
      }
      const status = error.statusCode ?? 500
      if (status >= 400 && status < 500) return send(reply, codeForStatus(status), status)
      // A restart or failover of PostgreSQL: the request may succeed again in a moment.
      if (isDatabaseUnavailable(error)) {
        request.log.warn({ err: error }, 'database unavailable')
        reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS))
        return send(reply, 'SERVICE_UNAVAILABLE', 503)
      }
      request.log.error({ err: error }, 'unexpected error')
      return send(reply, codeForStatus(status), Math.max(status, 500))
    })

    app.setNotFoundHandler((request, reply) =>
      send(reply, 'NOT_FOUND', 404, `No route for ${request.method} ${request.url.split('?')[0]}.`),
    )
  },
  { name: 'errors' },
)

/**
 * Errors the router raises before any route or hook runs (a malformed percent-encoding, a path parameter over
 * `maxParamLength`): Fastify would answer them with its own body echoing the whole path. Answer with a
 * StatusMessage that names nothing of the request instead. Pass as the `frameworkErrors` server option.
 */
export function frameworkErrors(environment: DeploymentEnvironment): FastifyServerOptions['frameworkErrors'] {
  return (error: Error & { statusCode?: number }, _request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode === 414 ? 414 : 400
    const code = status === 414 ? 'URI_TOO_LONG' : 'INVALID_INPUT'
    const body = toStatusMessage(randomUUID(), code, environment, 'The request URL is not valid.')
    reply.code(status).type('application/json; charset=utf-8').send(body)
  }
}
