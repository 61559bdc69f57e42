import {
  type EboxIdentity,
  isRepresentativeScope,
  isValidEnterpriseNumber,
  type Operation,
  RegistryError,
  SCOPES,
} from '@ebox/contract'
import type { MandateOperation, PartitionService } from '../federation/partition-service.ts'
import type { Principal } from './principal.ts'

/** Only this module holds the brand: a MessageScope cannot be written as a literal anywhere else. */
declare const issuedByAuth: unique symbol

/**
 * What a caller may see of the messages: one e-Box, and for human users only some of its partitions.
 * Every repository function that touches messages takes one of these as its first argument. Only
 * `resolveMessageScope` (called by the auth plugin) creates one; it is frozen, and repositories refuse any object
 * it did not issue (`assertIssuedScope`), so a handler can neither build nor widen its scope.
 */
export interface MessageScope {
  readonly ebox: Readonly<EboxIdentity>
  /** Partitions the caller may consult; undefined = all (applications of the enterprise itself). */
  readonly partitions: readonly string[] | undefined
  readonly [issuedByAuth]: true
}

/** The scopes this module issued. A WeakSet: a lookup per query, no leak, no property to forge. */
const issued = new WeakSet<object>()

/** The operations whose routes get a message scope on the request (request.messageScope). */
export const CONSULT_OPERATIONS: ReadonlySet<Operation> = new Set<Operation>([
  'listMessages',
  'readMessage',
  'updateMessages',
  'updateMessageAction',
  'statistics',
  'summary',
])

/** Header naming the enterprise a service provider (mandatary) acts for (brief §3.3). */
export const ON_BEHALF_HEADER = 'on-behalf-of-enterprise-number'

function issueScope(
  principal: Principal,
  ebox: EboxIdentity,
  partitions: readonly string[] | undefined,
): MessageScope {
  // A human user of an enterprise e-Box always has a partition list; "all partitions" would widen it.
  if (partitions === undefined && ebox.eboxType === 'enterprise' && principal.kind !== 'application') {
    throw new Error('A human user of an enterprise e-Box needs the partitions the Partition service grants.')
  }
  // The e-Box is the principal's own object (made per verification) or a fresh one: frozen in place, no copy.
  const scope = Object.freeze({
    ebox: Object.freeze(ebox),
    partitions: partitions === undefined ? undefined : Object.freeze([...partitions]),
  }) as MessageScope
  issued.add(scope)
  return scope
}

/** Throws unless `scope` was issued by resolveMessageScope: called by the one tenant condition of the SQL. */
export function assertIssuedScope(scope: MessageScope): void {
  if (!issued.has(scope))
    throw new TypeError('A message scope must come from the auth code (resolveMessageScope).')
}

/**
 * The message scope of an authenticated caller (brief §3.3):
 * - the e-Box is the token's (CBE padded to 10 digits, else the citizen's SSIN), or the enterprise named by
 *   `On-Behalf-Of-Enterprise-Number` when the Partition service confirms a `consult` mandate;
 * - human users (principal.kind `person`, classifyCaller) of an enterprise e-Box see only the partitions the
 *   Partition service grants them; applications see all partitions; unclassified callers none.
 */
export async function resolveMessageScope(
  principal: Principal,
  onBehalfOf: string | string[] | undefined,
  partitionService: PartitionService,
): Promise<MessageScope> {
  const ebox = await actingEboxOf(principal, onBehalfOf, partitionService, 'consult')
  if (ebox.eboxType !== 'enterprise') return issueScope(principal, ebox, undefined)
  // Fail closed: a token that cannot be classified sees no partition, never all of them.
  if (principal.kind === 'unclassified') return issueScope(principal, ebox, [])
  if (principal.userSsin === undefined) return issueScope(principal, ebox, undefined)
  const partitions = await partitionService.userPartitions(ebox.id, principal.userSsin)
  return issueScope(principal, ebox, partitions)
}

/**
 * The e-Box a caller acts on: the token's own, or — with `On-Behalf-Of-Enterprise-Number` — the represented
 * enterprise, after a `hasMandate` check for `operation`. Publishing for another enterprise also needs the
 * representative scope. 400 for a malformed header, 403 NO_MANDATE without a mandate.
 */
export async function actingEboxOf(
  principal: Principal,
  header: string | string[] | undefined,
  partitionService: PartitionService,
  operation: MandateOperation,
): Promise<EboxIdentity> {
  if (!principal.ebox) throw new RegistryError('FORBIDDEN', 'The access token is not bound to an e-Box.')
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
  const mandated = await partitionService.hasMandate(header, principal.ebox.id, operation)
  if (!mandated) throw new RegistryError('NO_MANDATE')
  return { eboxType: 'enterprise', id: header }
}

/**
 * The enterprise the caller publishes for (§3.3, federation-duties §7): its own with `publicationsender`; with
 * the representative scope and `On-Behalf-Of-Enterprise-Number`, the represented one once the Partition service
 * confirms a `publish` mandate (actingEboxOf). Only enterprises publish.
 */
export async function publishingEnterpriseOf(
  principal: Principal,
  onBehalfOf: string | string[] | undefined,
  partitionService: PartitionService,
): Promise<string> {
  const acting = await actingEboxOf(principal, onBehalfOf, partitionService, 'publish')
  if (acting.eboxType !== 'enterprise') {
    throw new RegistryError('FORBIDDEN', 'The access token is not bound to an enterprise.')
  }
  // The caller's own enterprise, with or without the header naming it: the representative scope never suffices.
  const ownEnterprise = principal.ebox?.eboxType === 'enterprise' && acting.id === principal.ebox.id
  if (ownEnterprise && !principal.scopes.has(SCOPES.publicationSender)) {
    throw new RegistryError(
      'FORBIDDEN',
      "Publishing for the caller's own enterprise takes the publicationsender scope; a representative names " +
        'the represented enterprise in On-Behalf-Of-Enterprise-Number.',
    )
  }
  return acting.id
}
