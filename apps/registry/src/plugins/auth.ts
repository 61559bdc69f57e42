import { OPERATION_SCOPES, type Operation, RegistryError } from '@ebox/contract'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal } from '../auth/principal.ts'
import type { TokenVerifier } from '../auth/verifier.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The operation a route performs; its accepted scopes come from OPERATION_SCOPES. Absent = public route. */
    operation?: Operation
  }
  interface FastifyRequest {
    principal: Principal | undefined
  }
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/

/** The caller of an authenticated route (the auth hook has run); throws if used on a public route. */
export function callerOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new RegistryError('UNAUTHENTICATED')
  return request.principal
}

/**
 * Authentication and authorisation for every route that declares an operation: 401 without a valid bearer
 * token, 403 when the token holds none of the operation's scopes.
 */
export default fp(
  async function authPlugin(app: FastifyInstance, options: { verifier: TokenVerifier }) {
    app.decorateRequest('principal', undefined)
    app.addHook('onRequest', async (request) => {
      const operation = request.routeOptions.config.operation
      if (!operation) return
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
      const accepted = OPERATION_SCOPES[operation]
      if (!accepted.some((scope) => principal.scopes.has(scope))) {
        throw new RegistryError('FORBIDDEN', undefined, {
          headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${accepted.join(' ')}"` },
        })
      }
      request.principal = principal
    })
    app.addHook('onClose', async () => options.verifier.close?.())
  },
  { name: 'auth' },
)
