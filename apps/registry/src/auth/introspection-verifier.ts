import { RegistryError } from '@ebox/contract'
import { type FederationClient, FederationUnavailableError } from '../federation/client.ts'
import {
  hashToken,
  NO_PORTAL,
  type PersonPolicy,
  type Principal,
  principalFromClaims,
  type TokenClaims,
} from './principal.ts'
import { DEFAULT_MAX_LIFETIME_SECONDS, lifetimeProblem } from './token-lifetime.ts'
import type { TokenVerifier } from './verifier.ts'

export interface IntrospectionVerifierOptions {
  introspectionUrl: string
  /** Calls the authorisation server with the DP's own token. */
  federation: FederationClient
  /** Scope of the DP's own token for introspection. */
  scope: string
  /** Checked when set (the federation has not published what its tokens carry). */
  issuer?: string
  audience?: string
  clockToleranceSeconds: number
  /** Longest accepted `exp - iat` (OAUTH_MAX_TOKEN_LIFETIME_SECONDS); default one day. */
  maxLifetimeSeconds?: number
  /** Upper bound of the positive cache (≤ 60 s); 0 disables it. Never past the token's `exp`. */
  cacheSeconds: number
  /** Bound on one verification, own token included: past it the caller gets 503. */
  timeoutMs: number
  /** Entries kept at most (oldest dropped first). */
  maxCacheEntries?: number
  /** What makes a token a person's (OAUTH_PORTAL_CLIENT_IDS). */
  personPolicy?: PersonPolicy
}

interface IntrospectionAnswer extends TokenClaims {
  active?: unknown
  iss?: string
  aud?: string | string[]
  nbf?: unknown
  iat?: unknown
}

const unauthenticated = (why: string) =>
  new RegistryError('UNAUTHENTICATED', undefined, { cause: new Error(why) })

/**
 * RFC 7662 introspection (brief §3.2). `active` must be true; positive answers are cached keyed by the SHA-256
 * of the token for at most min(exp, cacheSeconds); negative answers never. Whenever the authorisation server
 * cannot give an answer in time — unreachable, slow, 5xx, rejecting our own token, unreadable — the request
 * fails closed with 503, never 401 and never access.
 */
export function createIntrospectionVerifier(options: IntrospectionVerifierOptions): TokenVerifier {
  const personPolicy: PersonPolicy = options.personPolicy ?? NO_PORTAL
  const cache = new Map<string, { principal: Principal; until: number }>()
  const maxEntries = options.maxCacheEntries ?? 10_000

  function cached(hash: string): Principal | undefined {
    const entry = cache.get(hash)
    if (!entry) return undefined
    if (Date.now() < entry.until) return entry.principal
    cache.delete(hash)
    return undefined
  }

  function remember(hash: string, principal: Principal, exp: number | undefined) {
    if (options.cacheSeconds <= 0) return
    const bound = Date.now() + options.cacheSeconds * 1000
    const until = typeof exp === 'number' ? Math.min(bound, exp * 1000) : bound
    if (until <= Date.now()) return
    if (cache.size >= maxEntries) {
      const now = Date.now()
      for (const [key, entry] of cache) if (entry.until <= now) cache.delete(key)
      // Still full: drop the oldest insertions (Map keeps insertion order).
      for (const key of cache.keys()) {
        if (cache.size < maxEntries) break
        cache.delete(key)
      }
    }
    cache.set(hash, { principal, until })
  }

  async function introspect(token: string): Promise<IntrospectionAnswer> {
    const response = await options.federation.call({
      target: 'authorisation server',
      url: options.introspectionUrl,
      method: 'POST',
      form: new URLSearchParams({ token }),
      scope: options.scope,
      timeoutMs: options.timeoutMs,
    })
    const body = response.json()
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new FederationUnavailableError('authorisation server', 'introspection answer is not an object')
    }
    return body as IntrospectionAnswer
  }

  function check(answer: IntrospectionAnswer) {
    if (answer.active !== true) throw unauthenticated('inactive')
    const now = Math.floor(Date.now() / 1000)
    const tolerance = options.clockToleranceSeconds
    // Time claims of the wrong type are a broken answer for this token: refused, never skipped.
    for (const claim of ['exp', 'nbf', 'iat'] as const) {
      if (answer[claim] !== undefined && typeof answer[claim] !== 'number')
        throw unauthenticated(`${claim} type`)
    }
    const lifetime = lifetimeProblem(
      answer,
      options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
      tolerance,
      now,
    )
    if (lifetime) throw unauthenticated(lifetime)
    if (typeof answer.exp === 'number' && answer.exp + tolerance <= now) throw unauthenticated('expired')
    if (typeof answer.nbf === 'number' && answer.nbf - tolerance > now) throw unauthenticated('not yet valid')
    if (options.issuer !== undefined && answer.iss !== options.issuer) throw unauthenticated('issuer')
    if (options.audience !== undefined) {
      const audiences = Array.isArray(answer.aud) ? answer.aud : [answer.aud]
      if (!audiences.includes(options.audience)) throw unauthenticated('audience')
    }
  }

  return {
    async verify(token) {
      const hash = hashToken(token)
      const hit = cached(hash)
      if (hit) return hit
      const answer = await introspect(token)
      check(answer)
      const principal = principalFromClaims(answer, token, personPolicy)
      remember(hash, principal, typeof answer.exp === 'number' ? answer.exp : undefined)
      return principal
    },
    close() {
      cache.clear()
    },
  }
}
