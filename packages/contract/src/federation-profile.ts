/**
 * The federation profile: every name of the federation that the brief could not confirm (and the few it did,
 * next to them), in one typed, validated configuration. Defaults are today's best reading of the sources; each
 * is overridden by its environment variable, so a name the federation publishes differently at go-live is a
 * configuration change, not a release. The registry reads these variables through its configuration reader, the
 * conformance suite through `readFederationProfile` with the same names. docs/contract-decisions.md gives each
 * entry's source or says "unconfirmed".
 */
export interface FederationProfile {
  scopes: {
    /** Scope of the federation's tokens on `POST /eventNotifications`. */
    webhook: string
    /** Scope of the certifier's tokens on `POST /certification/resetDataSet`. */
    certification: string
    /** Scope of the DP's own token to `eboxPreferences/search`. */
    eboxPreferences: string
    /** Scope of the DP's own token to `citizenEboxConsents/search`. */
    citizenConsents: string
    /** Scope of the DP's own token to the enterprise status look-up. */
    enterpriseStatus: string
  }
  /** CloudEvent `type`s of the webhook's partition and user-right events (any one of each list). */
  eventTypes: {
    partitionAdded: readonly string[]
    partitionRemoved: readonly string[]
    userRightAdded: readonly string[]
    userRightRemoved: readonly string[]
  }
  paths: {
    /** Partition service: a user's partitions, with `{enterpriseNumber}` and `{ssin}`. */
    userRights: string
    /** e-Box Preferences (federation base URL): enterprise e-Boxes that exist. */
    eboxPreferencesSearch: string
    /** e-Box Preferences: citizens who accepted the e-Box terms. */
    citizenConsentsSearch: string
    /** Whether an enterprise exists and is active, with `{enterpriseNumber}`. */
    enterpriseStatus: string
  }
  /** principalAttributes key of a citizen's (or a portal user's) SSIN in the federation's tokens. */
  citizenSsinClaim: string
  /** `operation` of the Partition service's `hasMandate` for consultation on behalf of an enterprise. */
  consultMandateOperation: string
}

type Kind = 'scope' | 'path' | 'types' | 'name'

interface Entry {
  readonly kind: Kind
  /** Where the value goes in the profile: `group.key` or a top-level key. */
  readonly at: string
  readonly fallback: string
  /** For paths: the placeholders it must contain. */
  readonly placeholders?: readonly string[]
}

const EVENT_PREFIX = 'be.eboxenterprise.v1'
const both = (noun: string, a: string, b: string) =>
  `${EVENT_PREFIX}.${noun}.${a},${EVENT_PREFIX}.${noun}.${b}`
const PREFERENCE_SCOPE = 'scope:documentmanagement:ebox:enterprise:federation-rest:preference'

/** Each variable, its place in the profile and its default. */
export const FEDERATION_PROFILE_VARIABLES = {
  FEDERATION_WEBHOOK_SCOPE: {
    kind: 'scope',
    at: 'scopes.webhook',
    fallback: 'scope:document:management:ebox:federation:eventnotifications',
  },
  FEDERATION_CERTIFICATION_SCOPE: {
    kind: 'scope',
    at: 'scopes.certification',
    fallback: 'scope:document:management:ebox:certification:resetdataset',
  },
  FEDERATION_PREFERENCES_SCOPE: { kind: 'scope', at: 'scopes.eboxPreferences', fallback: PREFERENCE_SCOPE },
  FEDERATION_CONSENTS_SCOPE: { kind: 'scope', at: 'scopes.citizenConsents', fallback: PREFERENCE_SCOPE },
  FEDERATION_ENTERPRISE_STATUS_SCOPE: {
    kind: 'scope',
    at: 'scopes.enterpriseStatus',
    fallback: PREFERENCE_SCOPE,
  },
  FEDERATION_EVENT_PARTITION_ADDED: {
    kind: 'types',
    at: 'eventTypes.partitionAdded',
    fallback: both('partition', 'added', 'created'),
  },
  FEDERATION_EVENT_PARTITION_REMOVED: {
    kind: 'types',
    at: 'eventTypes.partitionRemoved',
    fallback: both('partition', 'removed', 'deleted'),
  },
  FEDERATION_EVENT_USER_RIGHT_ADDED: {
    kind: 'types',
    at: 'eventTypes.userRightAdded',
    fallback: both('partitionUserRight', 'added', 'created'),
  },
  FEDERATION_EVENT_USER_RIGHT_REMOVED: {
    kind: 'types',
    at: 'eventTypes.userRightRemoved',
    fallback: both('partitionUserRight', 'removed', 'deleted'),
  },
  FEDERATION_USER_RIGHTS_PATH: {
    kind: 'path',
    at: 'paths.userRights',
    fallback: '/ebox/{enterpriseNumber}/users/{ssin}/partitions',
    placeholders: ['enterpriseNumber', 'ssin'],
  },
  FEDERATION_PREFERENCES_SEARCH_PATH: {
    kind: 'path',
    at: 'paths.eboxPreferencesSearch',
    fallback: '/eboxPreferences/search',
  },
  FEDERATION_CONSENTS_SEARCH_PATH: {
    kind: 'path',
    at: 'paths.citizenConsentsSearch',
    fallback: '/citizenEboxConsents/search',
  },
  FEDERATION_ENTERPRISE_STATUS_PATH: {
    kind: 'path',
    at: 'paths.enterpriseStatus',
    fallback: '/enterprises/{enterpriseNumber}',
    placeholders: ['enterpriseNumber'],
  },
  FEDERATION_CITIZEN_SSIN_CLAIM: {
    kind: 'name',
    at: 'citizenSsinClaim',
    fallback: 'urn:be:fgov:person:ssin',
  },
  FEDERATION_CONSULT_MANDATE_OPERATION: { kind: 'name', at: 'consultMandateOperation', fallback: 'consult' },
} as const satisfies Record<string, Entry>

export type FederationProfileVariable = keyof typeof FEDERATION_PROFILE_VARIABLES

const NAME = /^[A-Za-z][A-Za-z0-9:._\-/]*$/
const PLACEHOLDER = /\{([A-Za-z]+)\}/g

/** The problem with `value` for its entry, or undefined when it is valid. */
function problemOf(variable: string, entry: Entry, value: string): string | undefined {
  switch (entry.kind) {
    case 'scope':
    case 'name':
      return NAME.test(value) ? undefined : `${variable} must be one name without spaces, got "${value}"`
    case 'types': {
      const types = listOf(value)
      if (types.length === 0 || !types.every((type) => NAME.test(type)))
        return `${variable} must list CloudEvent types separated by commas, got "${value}"`
      return undefined
    }
    case 'path': {
      if (!value.startsWith('/') || /[\s?#]/.test(value))
        return `${variable} must be a path starting with "/" (no query), got "${value}"`
      const found = [...value.matchAll(PLACEHOLDER)].map((match) => match[1]).sort()
      const wanted = [...(entry.placeholders ?? [])].sort()
      if (found.join() !== wanted.join()) {
        const names = wanted.length ? wanted.map((name) => `{${name}}`).join(' and ') : 'no placeholder'
        return `${variable} must contain ${names}, got "${value}"`
      }
      return undefined
    }
  }
}

const listOf = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/**
 * The profile from `lookup` (an environment variable's trimmed value, or undefined when unset), and one problem
 * per invalid variable (its default is used meanwhile). Unset variables take their defaults.
 */
export function readFederationProfile(lookup: (name: FederationProfileVariable) => string | undefined): {
  profile: FederationProfile
  problems: string[]
} {
  const problems: string[] = []
  const tree: Record<string, unknown> = {}
  for (const [variable, entry] of Object.entries(FEDERATION_PROFILE_VARIABLES) as [
    FederationProfileVariable,
    Entry,
  ][]) {
    let value = lookup(variable)?.trim() || entry.fallback
    const problem = problemOf(variable, entry, value)
    if (problem) {
      problems.push(problem)
      value = entry.fallback
    }
    const [group, key] = entry.at.includes('.') ? entry.at.split('.') : [undefined, entry.at]
    if (group && !tree[group]) tree[group] = {}
    const target = group ? (tree[group] as Record<string, unknown>) : tree
    target[key as string] = entry.kind === 'types' ? listOf(value) : value
  }
  return { profile: tree as unknown as FederationProfile, problems }
}

/** The profile of today's guesses (no variable set). */
export const DEFAULT_FEDERATION_PROFILE: FederationProfile = readFederationProfile(() => undefined).profile

/** `template` with each `{name}` replaced by its URL-encoded value. */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name]
    if (value === undefined) throw new TypeError(`no value for {${name}} in ${template}`)
    return encodeURIComponent(value)
  })
}
