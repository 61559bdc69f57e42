import { RegistryError } from '@ebox/contract'
import type { FastifyRequest } from 'fastify'
import type { MessageScope } from './message-scope.ts'
import type { Principal } from './principal.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth plugin once the bearer token is verified; undefined on public routes. */
    principal: Principal | undefined
    /** Set by the auth plugin for the operations that read or change messages (CONSULT_OPERATIONS). */
    messageScope: MessageScope | undefined
  }
}

/** The caller of an authenticated route (the auth hook has run); throws if used on a public route. */
export function callerOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new RegistryError('UNAUTHENTICATED')
  return request.principal
}

/** The message scope the auth plugin resolved for this request; throws on a route that has none. */
export function scopeOf(request: FastifyRequest): MessageScope {
  const scope = request.messageScope
  if (!scope)
    throw new Error(`${request.routeOptions.url} has no message scope: its operation reads no messages.`)
  return scope
}
