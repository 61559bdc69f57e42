/**
 * Identifier rules of the e-Box federation (brief §4).
 * Enterprise numbers: 10 digits, first digit 0 or 1, mod-97 check on the first 8 digits.
 * SSIN: 11 digits, mod-97 check for births before 2000 or (prefixed with 2) from 2000 on.
 */

const ENTERPRISE_NUMBER_PATTERN = /^[01]\d{9}$/

/** Strips dots, spaces and an optional `BE` prefix, then left-pads to 10 digits (tokens drop leading zeros). */
export function normaliseEnterpriseNumber(raw: string): string {
  const digits = raw
    .trim()
    .replace(/^BE/i, '')
    .replace(/[.\s-]/g, '')
  return /^\d{1,10}$/.test(digits) ? digits.padStart(10, '0') : digits
}

/** Pattern check only: what a token claim must satisfy once normalised. */
export function hasEnterpriseNumberShape(value: string): boolean {
  return ENTERPRISE_NUMBER_PATTERN.test(value)
}

/** Full check (pattern + mod 97) of an already normalised 10-digit number. */
export function isValidEnterpriseNumber(value: string): boolean {
  if (!hasEnterpriseNumberShape(value)) return false
  const base = Number(value.slice(0, 8))
  const check = Number(value.slice(8))
  return 97 - (base % 97) === check
}

const SSIN_PATTERN = /^\d{11}$/

export function isValidSsin(value: string): boolean {
  if (!SSIN_PATTERN.test(value)) return false
  const base = value.slice(0, 9)
  const check = Number(value.slice(9))
  const before2000 = 97 - (Number(base) % 97)
  const from2000 = 97 - (Number(`2${base}`) % 97)
  return check === before2000 || check === from2000
}

/** Identity of an e-Box: enterprises by CBE number, citizens by SSIN. */
export type EboxIdentity =
  | { readonly eboxType: 'enterprise'; readonly id: string }
  | { readonly eboxType: 'citizen'; readonly id: string }
