import { createPrivateKey, type KeyObject, randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

export interface ClientCredentialsOptions {
  tokenUrl: string
  clientId: string
  /** PEM of the client's RSA private key (the key of the certificate registered at onboarding). */
  privateKeyPem: string
  /** Space-separated scopes to ask for; undefined = the client's default scopes. */
  scope?: string
  /** The token is renewed this long before it expires (default 60 s, at most half its lifetime). */
  renewBeforeSeconds?: number
}

/** Why the DP could not get its own token: the caller turns it into a 503 (fail closed). */
export class TokenEndpointError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenEndpointError'
  }
}

/**
 * The DP's own access token (brief §3.1): `client_credentials` with a `private_key_jwt` client assertion
 * (RS256, iss = sub = client id, aud = the token URL, 60 s, fresh jti). Kept until shortly before it expires;
 * concurrent callers share one request.
 */
export interface AccessTokenSource {
  /** A valid token; `signal` bounds the wait (the caller's deadline). */
  token(signal?: AbortSignal): Promise<string>
  /**
   * Drops the cached token (e.g. after the resource server rejected it). Given the rejected token, only that
   * one: a token another caller renewed meanwhile is kept.
   */
  invalidate(rejected?: string): void
}

export function createClientCredentialsSource(options: ClientCredentialsOptions): AccessTokenSource {
  const key: KeyObject = createPrivateKey(options.privateKeyPem)
  const renewBefore = options.renewBeforeSeconds ?? 60
  let cached: { token: string; renewAt: number } | undefined
  let pending: Promise<string> | undefined

  async function fetchToken(): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(options.clientId)
      .setSubject(options.clientId)
      .setAudience(options.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(randomUUID())
      .sign(key)
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    })
    if (options.scope) form.set('scope', options.scope)
    let response: Response
    try {
      response = await fetch(options.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form,
        // Own bound, so a shared request is not cut short by the first caller's deadline.
        signal: AbortSignal.timeout(10_000),
        redirect: 'error',
      })
    } catch (cause) {
      throw new TokenEndpointError('token endpoint unreachable', { cause })
    }
    const body = (await response.json().catch(() => undefined)) as
      | { access_token?: unknown; expires_in?: unknown; error?: unknown }
      | undefined
    if (!response.ok || typeof body?.access_token !== 'string') {
      const error = typeof body?.error === 'string' ? body.error : 'no access_token'
      throw new TokenEndpointError(`token endpoint answered ${response.status} (${error})`)
    }
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300
    const margin = Math.min(renewBefore, lifetime / 2)
    cached = { token: body.access_token, renewAt: Date.now() + (lifetime - margin) * 1000 }
    return body.access_token
  }

  return {
    async token(signal) {
      if (cached && Date.now() < cached.renewAt) return cached.token
      pending ??= fetchToken().finally(() => {
        pending = undefined
      })
      if (!signal) return pending
      return Promise.race([pending, abortion(signal)])
    },
    invalidate(rejected) {
      if (rejected === undefined || cached?.token === rejected) cached = undefined
    },
  }
}

function abortion(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new TokenEndpointError('token endpoint too slow', { cause: signal.reason }))
    if (signal.aborted) fail()
    else signal.addEventListener('abort', fail, { once: true })
  })
}
