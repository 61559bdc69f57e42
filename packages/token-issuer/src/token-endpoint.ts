import { type CryptoKey, decodeJwt, type JWTPayload, jwtVerify, type KeyObject } from 'jose'
import { CLIENT_ASSERTION_TYPE, MAX_ASSERTION_LIFETIME_SECONDS } from './constants.ts'
import { OAuthError } from './http.ts'
import type { MintClaims } from './types.ts'

/** A client registered at onboarding: its public key, the scopes it may get and its e-Box. */
export interface Client {
  key: CryptoKey | KeyObject
  scopes: readonly string[]
  cbe: string | undefined
}

export interface TokenEndpointDeps {
  clients: ReadonlyMap<string, Client>
  /** The endpoint's own URL: the audience client assertions must name (known once the server listens). */
  tokenUrl: () => string
  mint: (claims: MintClaims) => Promise<string>
  ttl: number
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
export const splitScopes = (scope: string): string[] => scope.split(' ').filter((s) => s.length > 0)

/** `POST /token`: RFC 6749 §4.4 client_credentials, the client authenticated by RFC 7523 §2.2 private_key_jwt. */
export function createTokenEndpoint(
  deps: TokenEndpointDeps,
): (form: URLSearchParams) => Promise<Record<string, unknown>> {
  const { clients, mint, ttl } = deps
  /** jti of every assertion seen, until it expires: a replayed assertion is refused. */
  const usedAssertions = new Map<string, number>()

  async function authenticateClient(form: URLSearchParams): Promise<[string, Client]> {
    if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
      throw new OAuthError(401, 'invalid_client', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`)
    }
    const assertion = form.get('client_assertion')
    if (!assertion) throw new OAuthError(401, 'invalid_client', 'client_assertion is missing')
    let clientId: unknown
    try {
      clientId = decodeJwt(assertion).iss
    } catch {
      throw new OAuthError(401, 'invalid_client', 'client_assertion is not a JWT')
    }
    const client = typeof clientId === 'string' ? clients.get(clientId) : undefined
    if (typeof clientId !== 'string' || !client) {
      throw new OAuthError(401, 'invalid_client', 'unknown client')
    }
    const formClientId = form.get('client_id')
    if (formClientId !== null && formClientId !== clientId) {
      throw new OAuthError(401, 'invalid_client', 'client_id does not match the assertion issuer')
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(assertion, client.key, {
        algorithms: ['RS256'],
        issuer: clientId,
        subject: clientId,
        audience: deps.tokenUrl(),
        requiredClaims: ['exp', 'jti'],
      }))
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'verification failed'
      throw new OAuthError(401, 'invalid_client', `client_assertion rejected: ${reason}`)
    }
    const now = nowSeconds()
    const exp = payload.exp!
    if (exp - now > MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError(
        401,
        'invalid_client',
        `client_assertion lives too long (at most ${MAX_ASSERTION_LIFETIME_SECONDS} s)`,
      )
    }
    for (const [key, expiry] of usedAssertions) if (expiry < now) usedAssertions.delete(key)
    const replayKey = `${clientId}\u0000${payload.jti}`
    if (usedAssertions.has(replayKey)) {
      throw new OAuthError(401, 'invalid_client', 'client_assertion jti already used')
    }
    usedAssertions.set(replayKey, exp)
    return [clientId, client]
  }

  return async function tokenEndpoint(form: URLSearchParams): Promise<Record<string, unknown>> {
    const grantType = form.get('grant_type')
    if (grantType === null) throw new OAuthError(400, 'invalid_request', 'grant_type is missing')
    if (grantType !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials is supported')
    }
    const [clientId, client] = await authenticateClient(form)
    const requested = form.get('scope')
    const granted =
      requested === null || requested.trim() === ''
        ? [...client.scopes]
        : [...new Set(splitScopes(requested))].filter((scope) => client.scopes.includes(scope))
    if (granted.length === 0) {
      throw new OAuthError(400, 'invalid_scope', 'none of the requested scopes is allowed for this client')
    }
    const accessToken = await mint({ scopes: granted, clientId, sub: clientId, cbe: client.cbe })
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: granted.join(' ') }
  }
}
