/**
 * Choices the brief leaves open (docs/contract-decisions.md explains each). Change them here and nowhere else.
 */
export const CONTRACT = {
  /** API version this DP implements, as reported by /certification/version. */
  apiVersion: '3.5',
  /** Paging of every list (§5.1, §5.4). */
  paging: { defaultPageSize: 25, maxPageSize: 100 },
  /** Languages of `qlang` and of every TranslatedString; the fallback order when a language is missing (§6.1). */
  languages: ['nl', 'fr', 'de'] as const,
  translationFallback: ['fr', 'nl', 'de'] as const,
  /** Date bounds of the list filters are calendar days in this zone: After = on or after D, Before = before D. */
  filterTimeZone: 'Europe/Brussels',
  /** A message is "expiring soon" for statistics when it is unread and expires within this many days. */
  expiringSoonDays: 15,
  /** Expired messages are left out of the list unless an expired* filter asks for them. */
  hideExpiredByDefault: true,
  /** Hidden (visible=false) messages are listed unless `visible` filters them (NSSO-compatible). */
  hideInvisibleByDefault: false,
  /** Reference-data details are cacheable for two days (≥ 86400 s demanded by the federation). */
  referenceDataCacheControl: 'public, no-transform, proxy-revalidate, max-age=172800',
  /** Message data is personal: never cached by shared caches. */
  privateCacheControl: 'private, no-store',
  /** Reference data answers under both prefixes until the official v3 YAML settles it. */
  referenceDataPrefixes: ['/referenceData', '/refData'] as const,
  /** The partition every enterprise e-Box has. */
  generalPartition: 'GENERAL',
  /** Paths of the v3 operations whose names are not established. */
  paths: { statistics: '/ebox/statistics', summary: '/ebox' },
  /** At most one write of eboxes.last_consultation_at per e-Box and process in this many seconds. */
  consultationRecordIntervalSeconds: 3600,
  /** Media types PATCH /ebox/messages accepts (RFC 7396 merge patch; plain JSON for lenient clients). */
  updateMediaTypes: ['application/merge-patch+json', 'application/json'] as const,
} as const

export type Language = (typeof CONTRACT.languages)[number]
