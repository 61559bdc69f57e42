import type { EboxIdentity } from '@ebox/contract'
import { type MessageScope, resolveMessageScope } from '../../src/auth/message-scope.ts'
import type { Principal } from '../../src/auth/principal.ts'
import type { PartitionService } from '../../src/federation/partition-service.ts'
import { unconfiguredPartitionService } from '../../src/federation/partition-service-client.ts'

/** A verified caller as a verifier would produce it: an application, or a human user when `userSsin` is given. */
export function principalOf(ebox: EboxIdentity, userSsin?: string): Principal {
  return {
    clientId: 'test',
    subject: userSsin,
    scopes: new Set(),
    ebox,
    kind: userSsin === undefined ? 'application' : 'person',
    userSsin,
    tokenHash: 'test',
  }
}

/**
 * A scope issued by the auth code, for tests that call repositories directly: an application's (every partition),
 * or a human user's limited to `partitions` (as the Partition service would grant them).
 */
export function scopeFor(ebox: EboxIdentity, partitions?: readonly string[]): Promise<MessageScope> {
  if (partitions === undefined) {
    return resolveMessageScope(principalOf(ebox), undefined, unconfiguredPartitionService())
  }
  const grants: PartitionService = {
    ...unconfiguredPartitionService(),
    userPartitions: async () => [...partitions],
  }
  return resolveMessageScope(principalOf(ebox, '85073003328'), undefined, grants)
}
