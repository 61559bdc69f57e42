import { type EboxIdentity, RegistryError } from '@ebox/contract'
import type { FastifyRequest } from 'fastify'
import { callerOf } from '../plugins/auth.ts'

/**
 * What a caller may see of the messages: one e-Box, and for human users only some of its partitions.
 * Every repository function that touches messages takes one of these as its first argument.
 */
export interface MessageScope {
  readonly ebox: EboxIdentity
  /** Partitions the caller may consult; undefined = all (applications of the enterprise itself). */
  readonly partitions: readonly string[] | undefined
}

/** The message scope of an authenticated request. A token that speaks for no e-Box may consult none. */
export function messageScopeOf(request: FastifyRequest): MessageScope {
  const principal = callerOf(request)
  if (!principal.ebox) throw new RegistryError('FORBIDDEN', 'The access token is not bound to an e-Box.')
  return { ebox: principal.ebox, partitions: undefined }
}
