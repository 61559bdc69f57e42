import { SCOPES } from '@ebox/contract'
import type { OAuthConfig } from '../config.ts'
import { federationClientFor } from '../federation/client.ts'
import { createIntrospectionVerifier } from './introspection-verifier.ts'
import { createJwtVerifier } from './jwt-verifier.ts'
import type { TokenVerifier } from './verifier.ts'

/** The verifier OAUTH_MODE selects; loadConfig has already checked that its settings are present. */
export function createVerifier(oauth: OAuthConfig): TokenVerifier {
  const personPolicy = { portalClientIds: new Set(oauth.portalClientIds), ssinClaim: oauth.citizenSsinClaim }
  switch (oauth.mode) {
    case 'jwt':
      return createJwtVerifier({
        jwksUrl: required(oauth.jwksUrl, 'OAUTH_JWKS_URL'),
        issuer: required(oauth.issuer, 'OAUTH_ISSUER'),
        audience: required(oauth.audience, 'OAUTH_AUDIENCE'),
        algorithms: oauth.algorithms,
        clockToleranceSeconds: oauth.clockToleranceSeconds,
        maxLifetimeSeconds: oauth.maxTokenLifetimeSeconds,
        requireAccessTokenType: oauth.requireAccessTokenType,
        jwksCooldownMs: oauth.jwksCooldownSeconds * 1000,
        jwksTimeoutMs: oauth.introspectionTimeoutMs,
        personPolicy,
      })
    case 'introspection': {
      return createIntrospectionVerifier({
        introspectionUrl: required(oauth.introspectionUrl, 'OAUTH_INTROSPECTION_URL'),
        federation: required(federationClientFor(oauth), 'OAUTH_CLIENT_ID with OAUTH_TOKEN_URL'),
        scope: SCOPES.introspect,
        issuer: oauth.issuer,
        audience: oauth.audience,
        clockToleranceSeconds: oauth.clockToleranceSeconds,
        maxLifetimeSeconds: oauth.maxTokenLifetimeSeconds,
        cacheSeconds: oauth.introspectionCacheSeconds,
        timeoutMs: oauth.introspectionTimeoutMs,
        personPolicy,
      })
    }
  }
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`${name} is not configured`)
  return value
}
