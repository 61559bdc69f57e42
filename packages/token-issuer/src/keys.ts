import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type KeyObject,
} from 'jose'
import { TokenIssuerError } from './errors.ts'

/** One of the issuer's RS256 signing keys; `kid` is its JWK thumbprint. */
export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  publicJwk: JWK
}

export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256')
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' } }
}

function isJwk(key: JWK | CryptoKey | KeyObject): key is JWK {
  return 'kty' in key
}

/** A client's registered key, refused when it is private or not RS256. */
export async function toPublicKey(
  clientId: string,
  key: JWK | CryptoKey | KeyObject,
): Promise<CryptoKey | KeyObject> {
  if (isJwk(key)) {
    if (key.d !== undefined) {
      throw new TokenIssuerError(
        'INVALID_KEY',
        `client ${clientId}: register the public key, not the private JWK`,
      )
    }
    try {
      const imported = await importJWK(key, 'RS256')
      if (imported instanceof Uint8Array) throw new Error('symmetric key')
      return imported
    } catch (cause) {
      throw new TokenIssuerError('INVALID_KEY', `client ${clientId}: not an RS256 public JWK`, { cause })
    }
  }
  if (key.type !== 'public') {
    throw new TokenIssuerError(
      'INVALID_KEY',
      `client ${clientId}: register the public key, not a ${key.type} key`,
    )
  }
  return key
}
