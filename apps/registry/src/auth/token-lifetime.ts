/** What OAUTH_MAX_TOKEN_LIFETIME_SECONDS defaults to: one day. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 86_400

/**
 * Bounds on a token's validity period that the signature cannot give (issue 23, finding 10): `iat` may not lie in
 * the future beyond the clock tolerance, and `exp - iat` (or `exp - now` without `iat`) may not exceed the
 * configured maximum lifetime (OAUTH_MAX_TOKEN_LIFETIME_SECONDS). Returns why a token fails, or undefined.
 */
export function lifetimeProblem(
  claims: { exp?: unknown; iat?: unknown },
  maxLifetimeSeconds: number,
  clockToleranceSeconds: number,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): string | undefined {
  const { exp, iat } = claims
  if (iat !== undefined && typeof iat !== 'number') return 'iat is not a number'
  if (typeof iat === 'number' && iat > nowSeconds + clockToleranceSeconds) return 'issued in the future'
  if (typeof exp !== 'number') return undefined
  const issued = typeof iat === 'number' ? iat : nowSeconds
  if (exp - issued > maxLifetimeSeconds + clockToleranceSeconds) return 'lifetime above the maximum'
  return undefined
}
