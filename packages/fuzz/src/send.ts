import { type FuzzCase, TOKEN } from './generate.ts'
import type { RoleTokens } from './roles.ts'
import { send, type WireOutcome, type WireRequest } from './wire.ts'

/** The case's request with the role's token in place of `{{token}}` (an absent token leaves the text empty). */
export function withToken(fuzzCase: FuzzCase, tokens: RoleTokens): WireRequest {
  const token = tokens[fuzzCase.role] ?? ''
  const fill = (text: string) => text.replaceAll(TOKEN, token).replaceAll(encodeURIComponent(TOKEN), token)
  return {
    ...fuzzCase.request,
    target: fill(fuzzCase.request.target),
    headers: fuzzCase.request.headers.map(([name, value]) => [name, fill(value)]),
  }
}

/**
 * Sends a case; unless it sets its own, an `X-Correlation-Id` names the request, so that the audit records it
 * caused can be told apart afterwards. Waits a little longer than the service's request timeout.
 */
export function sendCase(
  baseUrl: string,
  fuzzCase: FuzzCase,
  tokens: RoleTokens,
  options: { correlationId: string; requestTimeoutMs: number },
): Promise<WireOutcome> {
  const request = withToken(fuzzCase, tokens)
  if (!request.headers.some(([name]) => /^x-correlation-id$/i.test(name)))
    request.headers = [['X-Correlation-Id', options.correlationId], ...request.headers]
  return send(baseUrl, request, options.requestTimeoutMs + 2_000)
}
