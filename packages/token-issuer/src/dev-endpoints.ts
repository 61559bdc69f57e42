import { decodeJwt, type JWK } from 'jose'
import { TokenIssuerError } from './errors.ts'
import { OAuthError } from './http.ts'
import { nowSeconds } from './token-endpoint.ts'
import {
  INTROSPECTION_BEHAVIOURS,
  type IntrospectionBehaviour,
  type MintClaims,
  type TokenIssuer,
} from './types.ts'

/** What the dev endpoints act on: the issuer's own operations. */
export type DevEndpointDeps = Pick<
  TokenIssuer,
  'mint' | 'registerClient' | 'revoke' | 'setIntrospectionBehaviour'
>

/** `POST /dev/*` (JSON): what the CLI and black-box tests use. Answers [status, body]. */
export function createDevEndpoints(
  deps: DevEndpointDeps,
): (path: string, body: unknown) => Promise<[number, unknown]> {
  const { mint, registerClient, revoke, setIntrospectionBehaviour } = deps
  return async function devEndpoint(path: string, body: unknown): Promise<[number, unknown]> {
    const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    switch (path) {
      case '/dev/mint': {
        const claims = parseMintClaims(input)
        const token = await mint(claims)
        const { exp, scope } = decodeJwt(token)
        return [
          200,
          { access_token: token, token_type: 'Bearer', expires_in: Number(exp) - nowSeconds(), scope },
        ]
      }
      case '/dev/clients': {
        const { clientId, jwk, scopes, cbe } = input
        if (typeof clientId !== 'string' || typeof jwk !== 'object' || jwk === null) {
          throw new OAuthError(400, 'invalid_request', 'expected { clientId, jwk, scopes?, cbe? }')
        }
        if (!isOptionalStringArray(scopes) || !isOptional(cbe, 'string')) {
          throw new OAuthError(400, 'invalid_request', 'scopes must be a string array and cbe a string')
        }
        try {
          await registerClient(clientId, jwk as JWK, { scopes, cbe })
        } catch (error) {
          if (error instanceof TokenIssuerError) throw new OAuthError(400, 'invalid_request', error.message)
          throw error
        }
        return [204, undefined]
      }
      case '/dev/revoke': {
        if (typeof input.token !== 'string')
          throw new OAuthError(400, 'invalid_request', 'expected { token }')
        return [200, { revoked: revoke(input.token) }]
      }
      case '/dev/introspection-behaviour': {
        const { behaviour: next, slowMs: nextSlowMs } = input
        if (
          !INTROSPECTION_BEHAVIOURS.includes(next as IntrospectionBehaviour) ||
          !isOptional(nextSlowMs, 'number')
        ) {
          throw new OAuthError(
            400,
            'invalid_request',
            `behaviour must be one of ${INTROSPECTION_BEHAVIOURS.join(', ')}`,
          )
        }
        setIntrospectionBehaviour(next as IntrospectionBehaviour, nextSlowMs)
        return [204, undefined]
      }
      default:
        return [404, { error: 'not_found' }]
    }
  }
}

function isOptional(value: unknown, type: 'string' | 'number'): value is undefined {
  return value === undefined || typeof value === type
}

function isOptionalStringArray(value: unknown): value is string[] | undefined {
  return value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'))
}

/** Validates the JSON body of `POST /dev/mint`. */
export function parseMintClaims(input: Record<string, unknown>): MintClaims {
  const { scopes, cbe, ssin, sub, clientId, expiresIn, notBefore, issuer, audience, extra } = input
  const valid =
    (typeof scopes === 'string' || isOptionalStringArray(scopes)) &&
    [cbe, ssin, sub, clientId, issuer].every((value) => isOptional(value, 'string')) &&
    [expiresIn, notBefore].every((value) => isOptional(value, 'number')) &&
    (typeof audience === 'string' || isOptionalStringArray(audience)) &&
    (extra === undefined || (typeof extra === 'object' && extra !== null && !Array.isArray(extra)))
  if (!valid) throw new OAuthError(400, 'invalid_request', 'malformed mint claims')
  return {
    ...(input as Omit<MintClaims, 'scopes'>),
    scopes: (scopes as string | string[] | undefined) ?? [],
  }
}
