import type { Operation } from './scopes.ts'

/**
 * The optional operations of the contract this Document Provider does not serve (brief §5.6: "The implementation
 * of this operation is optional"): each is a route that answers 501 `NOT_IMPLEMENTED` with a StatusMessage
 * instead of 404, after authentication like any other (closed by default: `operation` names the scopes that may
 * call it). The ONE list: routes are registered from it, and docs/contract-decisions.md names each entry. Paths
 * the sources do not publish are marked `unconfirmed`; remove an entry when the operation is built.
 */
export interface UnimplementedOperation {
  operationId: string
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** OpenAPI form, from the service root. */
  path: string
  operation: Extract<Operation, 'optionalConsultation' | 'optionalPublication'>
  /** Where the path comes from, or `unconfirmed`. */
  source: string
}

export const UNIMPLEMENTED_OPERATIONS: readonly UnimplementedOperation[] = [
  {
    operationId: 'replyToMessage',
    method: 'POST',
    path: '/ebox/messages/{messageId}/replies',
    operation: 'optionalConsultation',
    source: 'unconfirmed (reply is optional, E3 S1; v2.1 replied by publishing with originalMessageId)',
  },
  {
    operationId: 'listMessageTemplates',
    method: 'GET',
    path: '/ebox/messageTemplates',
    operation: 'optionalConsultation',
    source: 'unconfirmed (message templates are optional, E3 S1)',
  },
  {
    operationId: 'getStructuredData',
    method: 'GET',
    path: '/ebox/messages/{messageId}/structuredData',
    operation: 'optionalConsultation',
    source: 'unconfirmed (structuredData is optional, E3 S1)',
  },
  {
    operationId: 'linkEboxMessage',
    method: 'POST',
    path: '/linkEboxMessage',
    operation: 'optionalPublication',
    source: 'brief §4 table row 22 (path [?])',
  },
  {
    operationId: 'searchMessageStatus',
    method: 'POST',
    path: '/searchMessageStatus',
    operation: 'optionalPublication',
    source: 'brief §4 table row 23 (path [?])',
  },
]

/** Replies are served only when their operation is not in the list above; until then no message allows one. */
export const REPLIES_SERVED = !UNIMPLEMENTED_OPERATIONS.some(
  (entry) => entry.operationId === 'replyToMessage',
)
