import { randomUUID } from 'node:crypto'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type KeyObject, SignJWT } from 'jose'

export interface ClientCredentials {
  clientId: string
  /** RS256 private key (extractable: `exportJWK`/`exportPKCS8` work on it). Kept in memory only. */
  privateKey: CryptoKey
  /** The public half, to pass to `registerClient` or `POST /dev/clients`. */
  publicJwk: JWK
}

/** Generates an RS256 key pair for a client, as onboarding would register its certificate. */
export async function createClientCredentials(clientId: string): Promise<ClientCredentials> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = { ...(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' }
  return { clientId, privateKey, publicJwk }
}

export interface ClientAssertionOptions {
  /** Lifetime in seconds (default 60). Negative values build an already expired assertion. */
  expiresIn?: number
  /** Default: a random UUID. Reuse one to test replay detection. */
  jti?: string
  /** Override any claim (e.g. a wrong `sub`). */
  extra?: Record<string, unknown>
}

/**
 * Builds the `private_key_jwt` client assertion (RFC 7523): RS256, iss = sub = clientId, aud = the token
 * endpoint URL, short exp, a jti.
 */
export async function buildClientAssertion(
  clientId: string,
  privateKey: CryptoKey | KeyObject | JWK,
  tokenUrl: string,
  options: ClientAssertionOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({
    iss: clientId,
    sub: clientId,
    aud: tokenUrl,
    iat: now,
    exp: now + (options.expiresIn ?? 60),
    jti: options.jti ?? randomUUID(),
    ...options.extra,
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .sign(privateKey)
}
