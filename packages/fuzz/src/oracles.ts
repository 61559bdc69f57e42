import { ERRORS, type ErrorCode, UNIMPLEMENTED_OPERATIONS } from '@ebox/contract'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FuzzCase } from './generate.ts'
import type { Operation } from './openapi.ts'
import { eboxOfRole } from './roles.ts'
import type { WireOutcome } from './wire.ts'

/** One broken promise of the service, found on one answer. */
export interface Failure {
  oracle: 'server-error' | 'no-answer' | 'too-slow' | 'status-message' | 'response-schema' | 'leak'
  detail: string
}

export interface OracleContext {
  /** Demo messages: id → e-Box. */
  demoMessages: ReadonlyMap<string, string>
  requestTimeoutMs: number
}

/**
 * The fuzz target runs without a Partition service (the dependency made unavailable): a mandate, which only the
 * Partition service can confirm, is then answered 503 — expected for a request that names a represented
 * enterprise, a server error for any other.
 */
function dependsOnMissingPartitionService(fuzzCase: FuzzCase): boolean {
  return fuzzCase.request.headers.some(([name]) => /^on-behalf-of-enterprise-number$/i.test(name))
}

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true })
addFormats.default(ajv)
ajv.addFormat('binary', true)
const validators = new WeakMap<object, ValidateFunction>()

function validatorOf(schema: object): ValidateFunction {
  let validate = validators.get(schema)
  if (!validate) {
    validate = ajv.compile(schema)
    validators.set(schema, validate)
  }
  return validate
}

const STATUS_MESSAGE_KEYS = ['code', 'environment', 'id', 'message']
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Codes the error table allows for a status (e.g. 400: INVALID_INPUT, INVALID_SENDER, DIGEST_DO_NOT_MATCH). */
function codesFor(status: number): string[] {
  return (Object.keys(ERRORS) as ErrorCode[]).filter((code) => ERRORS[code].status === status)
}

/**
 * What makes two failures the same for the search: a server error, a leak, a slow answer or a wrong success body
 * per operation; a malformed error body per status and problem (one root cause shows on every route).
 */
export function failureSignature(operation: string, failure: Failure, status: number | 'none'): string {
  const perOperation = failure.oracle !== 'status-message'
  return `${perOperation ? operation : '*'} ${failure.oracle} ${status} ${
    perOperation ? '' : failure.detail.replace(/\d+ ms/, '')
  }`
}

/** An optional operation the contract package lists as not served: its 501 NOT_IMPLEMENTED is the answer. */
function declaredNotImplemented(operation: Operation | undefined): boolean {
  return UNIMPLEMENTED_OPERATIONS.some(
    (unimplemented) =>
      operation !== undefined &&
      unimplemented.method === operation.method.toUpperCase() &&
      unimplemented.path === operation.path,
  )
}

/** Every oracle on one answer. Empty = the answer keeps every promise checked here. */
export function checkAnswer(
  fuzzCase: FuzzCase,
  operation: Operation | undefined,
  outcome: WireOutcome,
  context: OracleContext,
): Failure[] {
  if (outcome.kind === 'no-answer') {
    // A server that answers early (401 before the body) may reset a connection that is still sending a large body,
    // and the kernel then drops the answer: only a small request left unanswered is the server's fault.
    const size = fuzzCase.request.body?.length ?? 0
    return size < 64 * 1024 ? [{ oracle: 'no-answer', detail: outcome.reason }] : []
  }
  const { response } = outcome
  const failures: Failure[] = []
  if (response.elapsedMs > context.requestTimeoutMs)
    failures.push({ oracle: 'too-slow', detail: `${Math.round(response.elapsedMs)} ms` })
  if (
    response.status >= 500 &&
    !(response.status === 503 && dependsOnMissingPartitionService(fuzzCase)) &&
    !(response.status === 501 && declaredNotImplemented(operation))
  )
    failures.push({ oracle: 'server-error', detail: `status ${response.status}` })

  const isJson = /^application\/json\b/i.test(response.headers['content-type'] ?? '')
  let body: unknown
  if (isJson && response.body.length > 0) {
    try {
      body = JSON.parse(response.body.toString('utf8'))
    } catch {
      failures.push({ oracle: 'response-schema', detail: 'a JSON content type with a body that is not JSON' })
    }
  }

  // A HEAD answer carries no body to check.
  if (fuzzCase.request.method === 'HEAD') {
    // nothing more to look at
  } else if (response.status >= 400) {
    const problem = statusMessageProblem(response.status, isJson, body)
    if (problem) failures.push({ oracle: 'status-message', detail: problem })
  } else if (response.status >= 200 && response.status < 300 && operation && !fuzzCase.offTemplate) {
    const schema = operation.responses[String(response.status)]
    if (schema && isJson) {
      const validate = validatorOf(schema)
      if (!validate(body)) {
        const first = validate.errors?.[0]
        failures.push({
          oracle: 'response-schema',
          detail: `${response.status}: ${first?.instancePath || '/'} ${first?.message ?? 'invalid'}`,
        })
      }
    }
  }

  const leaked = leakedMessageIds(fuzzCase, response.body.toString('utf8'), context)
  if (leaked.length > 0)
    failures.push({ oracle: 'leak', detail: `message ids of other e-Boxes: ${leaked.join(', ')}` })
  return failures
}

function statusMessageProblem(status: number, isJson: boolean, body: unknown): string | undefined {
  if (!isJson) return `${status} without a JSON StatusMessage body`
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `${status}: body is not an object`
  const keys = Object.keys(body).sort()
  if (keys.join() !== STATUS_MESSAGE_KEYS.join()) return `${status}: keys ${keys.join(', ')}`
  const message = body as Record<string, unknown>
  if (typeof message.id !== 'string' || !UUID.test(message.id)) return `${status}: id is not a UUID`
  if (typeof message.message !== 'string' || message.message === '') return `${status}: empty message`
  if (!codesFor(status).includes(String(message.code)))
    return `${status} with code ${String(message.code)} (the error table gives ${codesFor(status).join(' or ') || 'none'})`
  return undefined
}

/** Demo message ids of e-Boxes other than the caller's that the answer names and the request did not. */
function leakedMessageIds(fuzzCase: FuzzCase, text: string, context: OracleContext): string[] {
  const own = eboxOfRole(fuzzCase.role)
  const asked = decodeLoosely(fuzzCase.request.target) + (fuzzCase.request.body?.toString('utf8') ?? '')
  const leaked: string[] = []
  for (const [messageId, ebox] of context.demoMessages) {
    if (ebox !== own && text.includes(messageId) && !asked.includes(messageId)) leaked.push(messageId)
  }
  return leaked
}

function decodeLoosely(target: string): string {
  try {
    return decodeURIComponent(target)
  } catch {
    return target
  }
}
