import type { Principal } from './principal.ts'

/**
 * Checks a caller's access token. Implementations: JWT (RFC 9068, local signature check against the JWKS) and
 * introspection (RFC 7662). Both throw RegistryError: UNAUTHENTICATED for a bad token, and
 * FederationUnavailableError (AUTHORIZATION_SERVER_UNAVAILABLE, 503 with Retry-After) when the authorisation
 * server cannot answer (fail closed).
 */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>
  close?(): void
}
