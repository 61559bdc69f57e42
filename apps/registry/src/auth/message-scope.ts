import {
  type EboxIdentity,
  isRepresentativeScope,
  isValidEnterpriseNumber,
  RegistryError,
} from '@ebox/contract'
import type { FastifyRequest } from 'fastify'
import type { MandateOperation } from '../federation/partition-service.ts'
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

/** Header naming the enterprise a service provider (mandatary) acts for (brief §3.3). */
export const ON_BEHALF_HEADER = 'on-behalf-of-enterprise-number'

/**
 * The message scope of an authenticated request (brief §3.3):
 * - the e-Box is the token's (CBE padded to 10 digits, else the citizen's SSIN), or the enterprise named by
 *   `On-Behalf-Of-Enterprise-Number` when the Partition service confirms a `consult` mandate;
 * - human users (a `sub` that is an SSIN) of an enterprise e-Box see only the partitions the Partition service
 *   grants them; applications see all partitions.
 */
export async function messageScopeOf(request: FastifyRequest): Promise<MessageScope> {
  const principal = callerOf(request)
  const ebox = await actingEboxOf(request, 'consult')
  if (ebox.eboxType !== 'enterprise' || principal.userSsin === undefined)
    return { ebox, partitions: undefined }
  const partitions = await request.server.partitionService.userPartitions(ebox.id, principal.userSsin)
  return { ebox, partitions }
}

/**
 * The e-Box a request acts on: the token's own, or — with `On-Behalf-Of-Enterprise-Number` — the represented
 * enterprise, after a `hasMandate` check for `operation`. Publishing for another enterprise also needs the
 * representative scope. 400 for a malformed header, 403 NO_MANDATE without a mandate.
 */
export async function actingEboxOf(
  request: FastifyRequest,
  operation: MandateOperation,
): Promise<EboxIdentity> {
  const principal = callerOf(request)
  if (!principal.ebox) throw new RegistryError('FORBIDDEN', 'The access token is not bound to an e-Box.')
  const header = request.headers[ON_BEHALF_HEADER]
  if (header === undefined) return principal.ebox
  if (typeof header !== 'string' || !isValidEnterpriseNumber(header)) {
    throw new RegistryError(
      'INVALID_INPUT',
      'On-Behalf-Of-Enterprise-Number must be one valid enterprise number of 10 digits.',
    )
  }
  if (principal.ebox.eboxType === 'enterprise' && principal.ebox.id === header) return principal.ebox
  if (principal.ebox.eboxType !== 'enterprise') throw new RegistryError('NO_MANDATE')
  if (operation === 'publish' && ![...principal.scopes].some(isRepresentativeScope)) {
    throw new RegistryError(
      'FORBIDDEN',
      'Publishing on behalf of another enterprise needs the representative scope.',
    )
  }
  const mandated = await request.server.partitionService.hasMandate(header, principal.ebox.id, operation)
  if (!mandated) throw new RegistryError('NO_MANDATE')
  return { eboxType: 'enterprise', id: header }
}
