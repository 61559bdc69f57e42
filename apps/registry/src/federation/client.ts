import { RegistryError } from '@ebox/contract'
import type { OAuthConfig } from '../config.ts'
import { type AccessTokenSource, createClientCredentialsSource } from './client-credentials.ts'

/**
 * The one way the DP calls the federation (OAuth introspection, the Partition service, e-Box Preferences, EES):
 * with its own token (client_credentials + private_key_jwt, one cached token per scope, renewed before it
 * expires), a bound on the whole call (token included), exactly one retry when the target refuses our token (401:
 * the token is dropped and renewed), and never a redirect. Anything else that goes wrong is a FederationUnavailableError:
 * the service answers it with 503 and Retry-After, the worker retries the batch later.
 */
export interface FederationClient {
  call(request: FederationRequest): Promise<FederationResponse>
}

/** Names used in errors and logs; the authorisation server maps to AUTHORIZATION_SERVER_UNAVAILABLE. */
export type FederationTarget = 'authorisation server' | 'Partition service' | 'e-Box Preferences' | 'EES'

export interface FederationRequest {
  target: FederationTarget
  url: string | URL
  method?: 'GET' | 'POST'
  /** Scope of the DP's token for this call; undefined = the client's default scopes. */
  scope: string | undefined
  /** Bound on the whole call: own token, both attempts and the answer's body. */
  timeoutMs: number
  /** A form body (`application/x-www-form-urlencoded`) or a JSON body; GET has none. */
  form?: URLSearchParams
  json?: unknown
  /** Statuses the caller handles itself; any other one is a FederationUnavailableError. Default: 200. */
  accept?: (status: number) => boolean
}

export interface FederationResponse {
  status: number
  /** The answer's JSON; a FederationUnavailableError when it is not JSON. */
  json(): unknown
}

export interface FederationClientOptions {
  tokenUrl: string
  clientId: string
  /** PEM of the DP's RSA private key (the key of the certificate registered at onboarding). */
  privateKeyPem: string
}

/** Sent with every 503 that a federation failure causes: most outages are blips; clients back off further. */
export const FEDERATION_RETRY_AFTER_SECONDS = 5

/**
 * A call to the federation failed: unreachable, too slow, redirected, an unexpected status, our own token
 * refused twice or not obtainable, an unreadable answer. `reason` is for logs (never sent to callers).
 */
export class FederationUnavailableError extends RegistryError {
  readonly target: FederationTarget
  readonly reason: string
  /** The target's HTTP status, when it answered one. */
  readonly targetStatus: number | undefined
  /** How long the target asked us to wait (its Retry-After, in ms), when it said. */
  readonly targetRetryAfterMs: number | undefined

  constructor(
    target: FederationTarget,
    reason: string,
    options: { cause?: unknown; targetStatus?: number; targetRetryAfterMs?: number } = {},
  ) {
    super(
      target === 'authorisation server' ? 'AUTHORIZATION_SERVER_UNAVAILABLE' : 'SERVICE_UNAVAILABLE',
      target === 'authorisation server'
        ? undefined
        : `The federation's ${target} could not be reached; retry later.`,
      {
        cause: options.cause ?? new Error(reason),
        headers: { 'retry-after': String(FEDERATION_RETRY_AFTER_SECONDS) },
      },
    )
    this.name = 'FederationUnavailableError'
    this.target = target
    this.reason = reason
    this.targetStatus = options.targetStatus
    this.targetRetryAfterMs = options.targetRetryAfterMs
  }
}

/** A Retry-After header (delay in seconds, or an HTTP date) in milliseconds from `now`; undefined if absent or bad. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const value = header.trim()
  if (/^\d+$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

const isOk = (status: number) => status === 200

export function createFederationClient(options: FederationClientOptions): FederationClient {
  const tokens = new Map<string, AccessTokenSource>()
  const tokenFor = (scope: string | undefined): AccessTokenSource => {
    const key = scope ?? ''
    let source = tokens.get(key)
    if (!source) {
      source = createClientCredentialsSource({ ...options, scope })
      tokens.set(key, source)
    }
    return source
  }

  async function attempt(request: FederationRequest, signal: AbortSignal, retry: boolean) {
    const { target } = request
    const source = tokenFor(request.scope)
    let token: string
    try {
      token = await source.token(signal)
    } catch (cause) {
      throw failure(request, signal, `no access token: ${messageOf(cause)}`, cause)
    }
    let response: Response
    try {
      response = await fetch(request.url, {
        method: request.method ?? 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(request.form && { 'content-type': 'application/x-www-form-urlencoded' }),
          ...(request.json !== undefined && { 'content-type': 'application/json' }),
        },
        body: request.form ?? (request.json !== undefined ? JSON.stringify(request.json) : undefined),
        signal,
        // A redirect could carry our token elsewhere: the federation's endpoints never redirect.
        redirect: 'error',
      })
    } catch (cause) {
      throw failure(request, signal, `unreachable: ${messageOf(cause)}`, cause)
    }
    if (response.status === 401 && retry) {
      // Our token was refused (expired early, revoked, key rotated): a new one, once.
      await response.body?.cancel()
      source.invalidate(token)
      return attempt(request, signal, false)
    }
    // Read the whole answer in every case, so the connection is released.
    let text: string
    try {
      text = await response.text()
    } catch (cause) {
      throw failure(request, signal, `answer cut off: ${messageOf(cause)}`, cause)
    }
    if (!(request.accept ?? isOk)(response.status)) {
      throw new FederationUnavailableError(
        target,
        `${target} answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`,
        {
          targetStatus: response.status,
          targetRetryAfterMs: retryAfterMs(response.headers.get('retry-after')),
        },
      )
    }
    return {
      status: response.status,
      json() {
        try {
          return JSON.parse(text) as unknown
        } catch (cause) {
          throw new FederationUnavailableError(target, `${target} answered ${response.status} without JSON`, {
            cause,
            targetStatus: response.status,
          })
        }
      },
    }
  }

  return {
    call(request) {
      return attempt(request, AbortSignal.timeout(request.timeoutMs), true)
    },
  }
}

/** The client of OAUTH_CLIENT_ID at OAUTH_TOKEN_URL; undefined when either is not configured. */
export function federationClientFor(
  oauth: Pick<OAuthConfig, 'tokenUrl' | 'client'>,
): FederationClient | undefined {
  if (!oauth.tokenUrl || !oauth.client) return undefined
  return createFederationClient({
    tokenUrl: oauth.tokenUrl,
    clientId: oauth.client.id,
    privateKeyPem: oauth.client.privateKeyPem,
  })
}

/** A failed attempt; past the call's deadline it is the timeout, whatever the fetch said. */
function failure(request: FederationRequest, signal: AbortSignal, reason: string, cause: unknown) {
  const why = signal.aborted ? `no answer within ${request.timeoutMs} ms` : reason
  return new FederationUnavailableError(request.target, `${request.target}: ${why}`, { cause })
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}
