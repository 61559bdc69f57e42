import { STATUS_CODES } from 'node:http'
import { CONTRACT, StatusMessage } from '@ebox/contract'
import swagger from '@fastify/swagger'
import type { TSchema } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { describeResponses, hoistNamedSchemas } from './openapi-components.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The request body as documented, for a route that parses its body itself (multipart, streamed): shown in
     * the OpenAPI document only, never validated by Fastify (a `body` schema would be).
     */
    documentedBody?: TSchema
  }
}

/** Error responses a route may give; spread into its `response` schema (documented and serialised as StatusMessage). */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((status) => [status, StatusMessage]))
}

/** The scheme every authenticated operation names: the bearer token the auth plugin verifies. */
const BEARER_SECURITY = [{ bearer: [] }]

/**
 * Errors any route may answer whatever its own schema lists: the edge filter (400: a byte no parameter may hold),
 * the per-IP rate limit (429), an unexpected failure (500); and, behind authentication, no or a bad token (401),
 * a missing scope (403), the authorisation server or the database unavailable (503).
 */
const COMMON_ERRORS = [400, 429, 500] as const
const AUTHENTICATED_ERRORS = [401, 403, 503] as const

function withCommonErrors(response: unknown, authenticated: boolean) {
  const declared = { ...((response as Record<string, unknown> | undefined) ?? {}) }
  const statuses = authenticated ? [...COMMON_ERRORS, ...AUTHENTICATED_ERRORS] : COMMON_ERRORS
  const all = { ...errorResponses(...statuses.filter((status) => !(status in declared))), ...declared }
  return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)))
}

/** A response's content for bytes served with one of `mediaTypes` as Content-Type (what the route sets). */
export function binaryContent(mediaTypes: readonly string[]) {
  return Object.fromEntries(
    mediaTypes.map((mediaType) => [mediaType, { schema: { type: 'string', format: 'binary' } }]),
  )
}

/**
 * The OpenAPI document, generated from the route schemas, served at /openapi.json and checked in as
 * `openapi.json` (`pnpm --filter @ebox/registry openapi:write`). Security comes from the route's config, like
 * authentication itself: every route with an `operation` requires the bearer token, public ones nothing. Schemas
 * that carry a `title` (the contract's named types) become components, referenced wherever they occur.
 */
export default fp(
  async function openapiPlugin(app: FastifyInstance, options: { version: string }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'e-Box Message Registry',
          description: `Message Registry of this e-Box Document Provider (API ${CONTRACT.apiVersion}).`,
          version: options.version,
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        },
        servers: [{ url: '/' }],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'OAuth2 access token' } },
        },
      },
      transform: ({ schema, url, route }) => {
        const config = route.config ?? {}
        if (!schema || schema.hide) return { schema, url }
        const authenticated = config.operation !== undefined
        return {
          url,
          schema: {
            ...schema,
            ...(config.documentedBody ? { body: config.documentedBody } : {}),
            // Public routes say so: an empty requirement, not an omission.
            security: authenticated ? BEARER_SECURITY : [],
            response: withCommonErrors(schema.response, authenticated),
          },
        }
      },
      transformObject: (document) =>
        'openapiObject' in document
          ? describeResponses(hoistNamedSchemas(document.openapiObject), STATUS_CODES)
          : document.swaggerObject,
    })
    app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)
