import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { codeForStatus, type DeploymentEnvironment, RegistryError, toStatusMessage } from '@ebox/contract'
import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import { assertStorableText, isStorableDate, MAX_URL_VALUE_LENGTH } from '../../db/storable-text.ts'

/**
 * One input filter at the edge, for every route (issue 23, "Edge validation"): query, path, header and JSON-body
 * strings that PostgreSQL cannot store or compare — NUL, lone UTF-16 surrogates, calendar dates it refuses — and
 * values far longer than any identifier or filter are answered 400 INVALID_INPUT before a handler runs, so no
 * query sees them (PostgreSQL would answer 22021/22P05/22008 and the caller a 500). Routes keep their own, tighter
 * schemas; this is the floor under all of them. Publication, whose JSON arrives inside multipart, calls
 * `assertStorableText` itself.
 */

type JsonSchema = { format?: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema }

/** Throws 400 for a value whose schema says date or date-time and that PostgreSQL would refuse. */
function assertStorableDates(value: unknown, schema: JsonSchema | undefined, where: string, depth = 0): void {
  if (!schema || depth > 16) return
  if ((schema.format === 'date' || schema.format === 'date-time') && typeof value === 'string') {
    if (!isStorableDate(value))
      throw new RegistryError('INVALID_INPUT', `${where} is not a date PostgreSQL can store: "${value}".`)
    return
  }
  if (Array.isArray(value)) {
    for (const item of value) assertStorableDates(item, schema.items ?? schema, where, depth + 1)
    return
  }
  if (typeof value !== 'object' || value === null || !schema.properties) return
  for (const [key, property] of Object.entries(schema.properties))
    assertStorableDates((value as Record<string, unknown>)[key], property, `${where}.${key}`, depth + 1)
}

function schemasOf(request: FastifyRequest) {
  return request.routeOptions.schema as
    | { querystring?: JsonSchema; params?: JsonSchema; body?: JsonSchema }
    | undefined
}

export default fp(
  async function inputFilter(app: FastifyInstance) {
    app.addHook('onRequest', async (request) => {
      // Node lets a request through with a Transfer-Encoding it will not decode (gzip, identity …) and may refuse
      // the connection afterwards, once the route has run: refuse it before anything runs.
      const transferEncoding = request.headers['transfer-encoding']
      if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked')
        throw new RegistryError('INVALID_INPUT', 'Transfer-Encoding must be chunked when given.')
      // Two Authorization headers are refused by the auth plugin, where the header is read.
    })
    app.addHook('preValidation', async (request) => {
      assertStorableText(request.params, 'path parameter', MAX_URL_VALUE_LENGTH)
      assertStorableText(request.query, 'query parameter', MAX_URL_VALUE_LENGTH)
      assertStorableText(request.headers, 'header')
      // Multipart bodies are read later, by the route (request.body stays undefined).
      assertStorableText(request.body, 'body')
      const schema = schemasOf(request)
      assertStorableDates(request.query, schema?.querystring, 'query parameter')
      assertStorableDates(request.params, schema?.params, 'path parameter')
      assertStorableDates(request.body, schema?.body, 'body')
    })
    // After validation: Ajv's type coercion turns "Infinity" into a number that passes `integer` and `maximum`.
    app.addHook('preHandler', async (request) => {
      for (const [where, values] of [
        ['query parameter', request.query],
        ['path parameter', request.params],
      ] as const) {
        for (const [name, value] of Object.entries((values ?? {}) as Record<string, unknown>)) {
          if (typeof value === 'number' && !Number.isFinite(value))
            throw new RegistryError('INVALID_INPUT', `${where} ${name} must be a finite number.`)
        }
      }
    })
  },
  { name: 'input-filter', dependencies: ['errors'] },
)

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (a malformed request line or header, headers
 * over the limit, a request that took too long): answered with a StatusMessage, as every other error, instead of
 * Fastify's own body. Pass as the `clientErrorHandler` server option.
 */
export function clientErrorHandler(
  environment: DeploymentEnvironment,
): NonNullable<FastifyServerOptions['clientErrorHandler']> {
  return (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 408
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? 431
          : error.code === 'HPE_URI_TOO_LONG'
            ? 414
            : 400
    if (socket.writable) {
      const message = status === 400 ? 'The request could not be read as HTTP.' : undefined
      const body = JSON.stringify(toStatusMessage(randomUUID(), codeForStatus(status), environment, message))
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
      )
    }
    socket.destroy(error)
  }
}
