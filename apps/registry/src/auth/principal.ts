import { createHash } from 'node:crypto'
import {
  type EboxIdentity,
  hasEnterpriseNumberShape,
  isValidSsin,
  normaliseEnterpriseNumber,
  RegistryError,
} from '@ebox/contract'

/** Claim names of the federation's tokens (§3.2). The SSIN attribute name is our choice (docs/contract-decisions.md). */
export const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'
export const SSIN_ATTRIBUTE = 'urn:be:fgov:person:ssin'

/** What a verified access token says, whichever verifier checked it. */
export interface TokenClaims {
  client_id?: unknown
  sub?: unknown
  scope?: unknown
  exp?: unknown
  principalAttributes?: unknown
}

/** The caller of a request, as the rest of the service sees it. */
export interface Principal {
  clientId: string
  subject: string | undefined
  scopes: ReadonlySet<string>
  /** The e-Box the token speaks for; undefined for tokens of federation services (certifier, webhook). */
  ebox: EboxIdentity | undefined
  /**
   * The SSIN of the human user behind the token (portal users), undefined for applications. A token speaks for
   * a person when its `sub` is a valid SSIN (docs/contract-decisions.md): such callers of an enterprise e-Box
   * only see the partitions the Partition service grants them.
   */
  userSsin: string | undefined
  /** SHA-256 (hex) of the access token: what the audit trail records, never the token itself. */
  tokenHash: string
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function firstAttribute(claims: TokenClaims, name: string): string | undefined {
  const attributes = claims.principalAttributes
  if (typeof attributes !== 'object' || attributes === null) return undefined
  const value = (attributes as Record<string, unknown>)[name]
  const first = Array.isArray(value) ? value[0] : value
  return typeof first === 'string' || typeof first === 'number' ? String(first) : undefined
}

/** Reads the e-Box identity from principalAttributes: CBE padded to 10 digits (§3.2 step 6), else an SSIN. */
export function principalFromClaims(claims: TokenClaims, token: string): Principal {
  const cbe = firstAttribute(claims, CBE_ATTRIBUTE)
  const ssin = firstAttribute(claims, SSIN_ATTRIBUTE)
  let ebox: EboxIdentity | undefined
  if (cbe !== undefined) {
    const normalised = normaliseEnterpriseNumber(cbe)
    if (!hasEnterpriseNumberShape(normalised)) {
      throw new RegistryError('UNAUTHENTICATED', 'The token carries a malformed enterprise number.')
    }
    ebox = { eboxType: 'enterprise', id: normalised }
  } else if (ssin !== undefined) {
    if (!isValidSsin(ssin)) throw new RegistryError('UNAUTHENTICATED', 'The token carries a malformed SSIN.')
    ebox = { eboxType: 'citizen', id: ssin }
  }
  // Claims come from the authorisation server, but their types are checked all the same: a number or an array
  // where a string belongs must not turn into a 500.
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  // A numeric `sub` is read as text, so an SSIN never passes for an application by its type.
  const sub = typeof claims.sub === 'number' ? String(claims.sub) : text(claims.sub)
  return {
    clientId: text(claims.client_id) ?? sub ?? 'unknown',
    subject: sub,
    scopes: new Set((text(claims.scope) ?? '').split(' ').filter(Boolean)),
    ebox,
    userSsin: sub !== undefined && isValidSsin(sub) ? sub : undefined,
    tokenHash: hashToken(token),
  }
}
