import { assertIssuedScope, type MessageScope } from '../../auth/message-scope.ts'

/**
 * The tenant condition of every message query. Message repositories take the caller's MessageScope first: a
 * message outside it (another e-Box, a partition the caller may not see) behaves exactly like one that does not
 * exist.
 */

/** Collects positional parameters while a statement is assembled. */
export class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/**
 * `m.recipient_type = … AND m.recipient_id = … [AND m.partition_id = ANY(…)]`: the structural tenant filter, the
 * one every query on messages (and their counts) uses. Refuses a scope the auth code did not issue.
 */
export function scopeCondition(params: Params, scope: MessageScope, alias = 'm'): string {
  assertIssuedScope(scope)
  const conditions = [
    `${alias}.recipient_type = ${params.add(scope.ebox.eboxType)}`,
    `${alias}.recipient_id = ${params.add(scope.ebox.id)}`,
  ]
  if (scope.partitions !== undefined)
    conditions.push(partitionCondition(params, scope, `${alias}.partition_id`))
  return conditions.join(' AND ')
}

/** The partition half of the tenant filter, for a partition id column alone (e.g. a list of known partitions). */
export function partitionCondition(params: Params, scope: MessageScope, column: string): string {
  assertIssuedScope(scope)
  return scope.partitions === undefined ? 'true' : `${column} = ANY(${params.add(scope.partitions)}::text[])`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Message ids are UUIDs: anything else names no message (404, not 400). */
export const isMessageId = (id: string) => UUID.test(id)
