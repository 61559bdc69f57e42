import { type Operation, RegistryError } from '@ebox/contract'
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler, RouteOptions } from 'fastify'
import fp from 'fastify-plugin'
import '../../auth/caller.ts'
import { CONSULT_OPERATIONS, ON_BEHALF_HEADER, resolveMessageScope } from '../../auth/message-scope.ts'
import type { TokenVerifier } from '../../auth/verifier.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation a route performs; its accepted scopes come from operationScopes (the federation profile's). */
    operation?: Operation
    /** Said out loud by the few routes anyone may call (health, version, OpenAPI). */
    public?: true
  }
}

/** Routes external plugins add, which cannot carry our config: each public, and said so here. */
const EXTERNAL_PUBLIC_ROUTES = new Set([
  'OPTIONS *' /* CORS preflight, @fastify/cors (plugins/external/cors.ts) */,
])

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/

/**
 * Closed by default: a route must declare its `operation` (then it is authenticated, authorised and audited) or
 * `public: true`. A route with neither — or both — stops the app from starting. Registered before any route.
 */
export const closedByDefault = fp(
  async function closedByDefault(app: FastifyInstance) {
    app.addHook('onRoute', (route: RouteOptions) => {
      if (EXTERNAL_PUBLIC_ROUTES.has(`${route.method} ${route.url}`)) return
      const { operation, public: open } = route.config ?? {}
      const declared = (operation === undefined ? 0 : 1) + (open === true ? 1 : 0)
      if (declared !== 1) {
        throw new Error(
          `Route ${route.method} ${route.url} must declare exactly one of config.operation or config.public: true.`,
        )
      }
    })
  },
  { name: 'closed-by-default' },
)

/** Puts the caller's message scope on the request: after validation, before the handler (as handlers did). */
const resolveScope: preHandlerAsyncHookHandler = async function resolveScope(request: FastifyRequest) {
  if (!request.principal) return
  request.messageScope = await resolveMessageScope(
    request.principal,
    request.headers[ON_BEHALF_HEADER],
    request.server.partitionService,
  )
}

function authorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'authorization') count += 1
  }
  return count
}

/**
 * Authentication and authorisation for every route that declares an operation: 401 without a valid bearer
 * token, 403 when the token holds none of the operation's scopes. Routes of CONSULT_OPERATIONS also get the
 * caller's message scope (request.messageScope), the only one their handlers and repositories can use.
 */
export default fp(
  async function authPlugin(
    app: FastifyInstance,
    options: {
      verifier: TokenVerifier
      /** Which scopes open each operation: operationScopes(config.federationProfile). */
      operationScopes: Readonly<Record<Operation, readonly string[]>>
    },
  ) {
    app.decorateRequest('principal', undefined)
    app.decorateRequest('messageScope', undefined)
    app.addHook('onRoute', (route: RouteOptions) => {
      const operation = route.config?.operation
      if (operation === undefined || !CONSULT_OPERATIONS.has(operation)) return
      const own = route.preHandler === undefined ? [] : [route.preHandler].flat()
      route.preHandler = [resolveScope, ...own]
    })
    app.addHook('onRequest', async (request) => {
      const operation = request.routeOptions.config.operation
      if (!operation) return
      // Node keeps the first of two Authorization headers and drops the other: refuse the ambiguity instead.
      if (authorizationHeaders(request.raw.rawHeaders) > 1) {
        throw new RegistryError('INVALID_INPUT', 'Send exactly one Authorization header.')
      }
      const match = BEARER.exec(request.headers.authorization ?? '')
      if (!match?.[1]) {
        throw new RegistryError('UNAUTHENTICATED', undefined, { headers: { 'www-authenticate': 'Bearer' } })
      }
      const principal = await options.verifier.verify(match[1]).catch((error: unknown) => {
        if (error instanceof RegistryError && error.code === 'UNAUTHENTICATED') {
          throw new RegistryError('UNAUTHENTICATED', error.message, {
            cause: error,
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
          })
        }
        throw error
      })
      const accepted = options.operationScopes[operation]
      if (!accepted.some((scope) => principal.scopes.has(scope))) {
        throw new RegistryError('FORBIDDEN', undefined, {
          headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${accepted.join(' ')}"` },
        })
      }
      request.principal = principal
    })
    app.addHook('onClose', async () => options.verifier.close?.())
  },
  { name: 'auth', dependencies: ['partitions'] },
)
