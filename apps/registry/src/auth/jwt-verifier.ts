import { RegistryError } from '@ebox/contract'
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose'
import { FederationUnavailableError } from '../federation/client.ts'
import {
  NO_PORTAL,
  type PersonPolicy,
  type Principal,
  principalFromClaims,
  type TokenClaims,
} from './principal.ts'
import { DEFAULT_MAX_LIFETIME_SECONDS, lifetimeProblem } from './token-lifetime.ts'
import type { TokenVerifier } from './verifier.ts'

export interface JwtVerifierOptions {
  jwksUrl: string
  issuer: string
  audience: string
  algorithms: string[]
  clockToleranceSeconds: number
  /** Longest accepted `exp - iat` (OAUTH_MAX_TOKEN_LIFETIME_SECONDS); default one day. */
  maxLifetimeSeconds?: number
  /** Demand the RFC 9068 header `typ: at+jwt` (`application/at+jwt` too). */
  requireAccessTokenType?: boolean
  /** An unknown `kid` refetches the JWKS at most once per cooldown (key rotation without a restart). */
  jwksCooldownMs?: number
  jwksTimeoutMs?: number
  /** A verified token is remembered this long (never past its `exp`); 0 disables the cache. Default 60 s. */
  cacheMs?: number
  /** Entries kept at most (oldest dropped first). */
  maxCacheEntries?: number
  /** What makes a token a person's (OAUTH_PORTAL_CLIENT_IDS). */
  personPolicy?: PersonPolicy
}

/**
 * JWT access tokens checked locally. Keys come only from the configured JWKS: `jku`, `x5u` and embedded `jwk`
 * headers are never consulted, and only the allow-listed asymmetric algorithms are accepted. A token that passed
 * is remembered (exact token text as key) for at most `cacheMs` and never past its `exp`, so that a client's
 * burst of calls pays one signature check (issue 10: RS256 verification was a tenth of a reference-data call).
 */
export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const personPolicy: PersonPolicy = options.personPolicy ?? NO_PORTAL
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    timeoutDuration: options.jwksTimeoutMs ?? 3_000,
  })
  const cacheMs = options.cacheMs ?? 60_000
  const maxEntries = options.maxCacheEntries ?? 10_000
  const cache = new Map<string, { principal: Principal; until: number }>()
  return {
    async verify(token) {
      const hit = cache.get(token)
      if (hit) {
        if (Date.now() < hit.until) return hit.principal
        cache.delete(token)
      }
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: options.algorithms,
          clockTolerance: options.clockToleranceSeconds,
          requiredClaims: ['exp'],
          ...(options.requireAccessTokenType ? { typ: 'at+jwt' } : {}),
        }))
      } catch (error) {
        if (isJwksUnavailable(error)) {
          throw new FederationUnavailableError('authorisation server', 'JWKS could not be fetched', {
            cause: error,
          })
        }
        throw new RegistryError('UNAUTHENTICATED', undefined, { cause: error })
      }
      const tooLong = lifetimeProblem(
        payload,
        options.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS,
        options.clockToleranceSeconds,
      )
      if (tooLong) throw new RegistryError('UNAUTHENTICATED', undefined, { cause: new Error(tooLong) })
      const principal = principalFromClaims(payload as TokenClaims, token, personPolicy)
      const until = Math.min(Date.now() + cacheMs, (payload.exp ?? 0) * 1000)
      if (cacheMs > 0 && until > Date.now()) {
        if (cache.size >= maxEntries) {
          for (const key of cache.keys()) {
            cache.delete(key)
            if (cache.size < maxEntries) break
          }
        }
        cache.set(token, { principal, until })
      }
      return principal
    },
    close() {
      cache.clear()
    },
  }
}

/**
 * The JWKS could not be had (timeout, network, non-200, unreadable): 503, not 401. jose throws its base
 * JOSEError (code ERR_JOSE_GENERIC) only from the JWKS fetch; every token defect is a subclass.
 */
function isJwksUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true
  if (error instanceof errors.JOSEError) return error.code === 'ERR_JOSE_GENERIC'
  return error instanceof TypeError && /fetch failed/i.test(error.message)
}
