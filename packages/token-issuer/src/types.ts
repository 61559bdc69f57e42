import type { CryptoKey, JWK, JWTPayload, KeyObject } from 'jose'

export interface TokenIssuerOptions {
  /** Default 0: a free port. */
  port?: number
  /** Default 127.0.0.1. Only loopback hosts are accepted unless `allowNonLoopback`. */
  host?: string
  /** `iss` of minted tokens and of the metadata. Default: the server's URL. */
  issuer?: string
  /** Default `aud` of minted tokens. Default {@link DEFAULT_AUDIENCE}. */
  audience?: string
  /** Lifetime of minted tokens. Default 3600. */
  tokenTtlSeconds?: number
  /** Serve the `/dev/*` endpoints (mint, clients, revoke, introspection behaviour). Default true. */
  devEndpoints?: boolean
  /** Allow binding a non-loopback host (e.g. 0.0.0.0 inside a container). Default false. */
  allowNonLoopback?: boolean
  /**
   * `principalAttributes` key of minted tokens' SSIN: the federation profile's FEDERATION_CITIZEN_SSIN_CLAIM.
   * Default {@link SSIN_ATTRIBUTE}.
   */
  ssinClaim?: string
}

export interface MintClaims {
  /** Granted scopes: an array or an already space-separated string. */
  scopes: readonly string[] | string
  /** Enterprise number, copied as is into `principalAttributes[CBE_ATTRIBUTE]` (no padding). */
  cbe?: string
  /** Citizen SSIN, into `principalAttributes[SSIN_ATTRIBUTE]`; also the default `sub`. */
  ssin?: string
  /** Default: `ssin`, else `clientId`. */
  sub?: string
  /** Default {@link DEFAULT_CLIENT_ID}. */
  clientId?: string
  /** Seconds from now until `exp` (default: the issuer's TTL). Negative mints an expired token. */
  expiresIn?: number
  /** `nbf` in epoch seconds (default: now). */
  notBefore?: number
  issuer?: string
  audience?: string | string[]
  /** Extra claims, merged last: they may override any claim above. */
  extra?: Record<string, unknown>
}

export interface RegisterClientOptions {
  /** Scopes the client may obtain. Default: none (every token request then fails with invalid_scope). */
  scopes?: readonly string[]
  /** Enterprise number put in the client's tokens. */
  cbe?: string
}

/**
 * `down` destroys the connection without an answer, `unavailable` answers 503, `error` answers 500,
 * `slow` waits `slowMs` then answers normally.
 */
export type IntrospectionBehaviour = 'normal' | 'down' | 'unavailable' | 'slow' | 'error'

export const INTROSPECTION_BEHAVIOURS: readonly IntrospectionBehaviour[] = [
  'normal',
  'down',
  'unavailable',
  'slow',
  'error',
]

export type IntrospectionResponse =
  | { active: false }
  | ({ active: true; token_type: 'access_token' } & AccessTokenClaims)

export interface AccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf: number
  jti: string
  client_id: string
  scope: string
  principalAttributes: Record<string, string[]>
}

export interface TokenIssuer {
  readonly url: string
  readonly issuer: string
  readonly audience: string
  readonly jwksUrl: string
  readonly tokenUrl: string
  readonly introspectionUrl: string
  readonly metadataUrl: string
  /** kid of the current signing key. */
  readonly kid: string
  mint(claims: MintClaims): Promise<string>
  /** Introspection answers `active: false` for the token from now on. Returns whether it was known. */
  revoke(token: string): boolean
  /** What `POST /introspect` would answer for this token. */
  introspect(token: string): IntrospectionResponse
  registerClient(
    clientId: string,
    publicKey: JWK | CryptoKey | KeyObject,
    options?: RegisterClientOptions,
  ): Promise<void>
  /** New signing key and kid; the previous key stays in the JWKS unless `keepPrevious: false`. */
  rotateKeys(options?: { keepPrevious?: boolean }): Promise<string>
  setIntrospectionBehaviour(behaviour: IntrospectionBehaviour, slowMs?: number): void
  close(): Promise<void>
}
