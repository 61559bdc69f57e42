import { createHash } from 'node:crypto'
import {
  DEFAULT_FEDERATION_PROFILE,
  type EboxIdentity,
  hasEnterpriseNumberShape,
  isValidSsin,
  normaliseEnterpriseNumber,
  RegistryError,
} from '@ebox/contract'

/**
 * Claim names of the federation's tokens (§3.2). The SSIN attribute is not published: the federation profile's
 * FEDERATION_CITIZEN_SSIN_CLAIM (PersonPolicy.ssinClaim), this default otherwise (docs/contract-decisions.md).
 */
export const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'
export const SSIN_ATTRIBUTE = DEFAULT_FEDERATION_PROFILE.citizenSsinClaim

export type CallerKind = 'person' | 'application' | 'unclassified'

/** What tells a person from an application (configuration, not the shape of `sub`). */
export interface PersonPolicy {
  /** Client ids whose tokens always act for a person (the e-Box portal): OAUTH_PORTAL_CLIENT_IDS. */
  portalClientIds: ReadonlySet<string>
  /** principalAttributes key of a person's SSIN (the federation profile's); default SSIN_ATTRIBUTE. */
  ssinClaim?: string
}

export const NO_PORTAL: PersonPolicy = { portalClientIds: new Set() }

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
   * Who acts (classifyCaller): `person` — a human user, restricted to the partitions the Partition service grants
   * `userSsin` in an enterprise e-Box; `application` — sees every partition of its e-Box; `unclassified` — a
   * token that says it is a person but names none, or names two: no partition at all (fail closed).
   */
  kind: CallerKind
  /** The SSIN of the human user behind the token (kind `person`), undefined otherwise. */
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
export function principalFromClaims(
  claims: TokenClaims,
  token: string,
  policy: PersonPolicy = NO_PORTAL,
): Principal {
  const cbe = firstAttribute(claims, CBE_ATTRIBUTE)
  const ssin = firstAttribute(claims, policy.ssinClaim ?? SSIN_ATTRIBUTE)
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
  const clientId = text(claims.client_id) ?? sub ?? 'unknown'
  const { kind, userSsin } = classifyCaller(clientId, sub, cbe !== undefined ? ssin : undefined, policy)
  return {
    clientId,
    subject: sub,
    scopes: new Set((text(claims.scope) ?? '').split(' ').filter(Boolean)),
    ebox,
    kind,
    userSsin,
    tokenHash: hashToken(token),
  }
}

/** Digits of an SSIN as people write it: `85.07.30-033.28`, `850730 033 28`, or a number that lost a leading 0. */
function ssinIn(value: string): string | undefined {
  if (!/^[0-9 .\-/]+$/.test(value)) return undefined
  const digits = value.replace(/[^0-9]/g, '')
  const padded = digits.length >= 9 && digits.length < 11 ? digits.padStart(11, '0') : digits
  return isValidSsin(padded) ? padded : undefined
}

/** Something that reads as an attempt at an SSIN (mostly digits, SSIN length) without being a valid one. */
function looksLikePersonNumber(value: string): boolean {
  return /^[0-9 .\-/]+$/.test(value) && value.replace(/[^0-9]/g, '').length >= 9
}

/**
 * Person or application, failing closed (issue 23, finding 3). Every way a token can name a person counts: the
 * SSIN attribute of an enterprise token, or a `sub` that is an SSIN in any notation. A token naming a person is
 * restricted to that person; a portal client's token (configuration) always acts for a person, and is
 * `unclassified` when it names none; so is a token naming two different people, or whose `sub` reads as a
 * person number that is not valid. Only a token of another client naming no person is an application.
 */
export function classifyCaller(
  clientId: string,
  sub: string | undefined,
  ssinAttribute: string | undefined,
  policy: PersonPolicy,
): { kind: CallerKind; userSsin: string | undefined } {
  const fromSub = sub === undefined ? undefined : ssinIn(sub)
  const fromAttribute = ssinAttribute === undefined ? undefined : ssinIn(ssinAttribute)
  const unclassified = { kind: 'unclassified', userSsin: undefined } as const
  if (ssinAttribute !== undefined && fromAttribute === undefined) return unclassified
  if (fromSub !== undefined && fromAttribute !== undefined && fromSub !== fromAttribute) return unclassified
  const person = fromAttribute ?? fromSub
  if (person !== undefined) return { kind: 'person', userSsin: person }
  if (policy.portalClientIds.has(clientId)) return unclassified
  if (sub !== undefined && looksLikePersonNumber(sub)) return unclassified
  return { kind: 'application', userSsin: undefined }
}
