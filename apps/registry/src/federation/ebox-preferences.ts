import { type EboxIdentity, type FederationProfile, fillPath, RegistryError } from '@ebox/contract'
import type { Config } from '../config.ts'
import { createAnswerCache } from './answer-cache.ts'
import {
  FEDERATION_RETRY_AFTER_SECONDS,
  type FederationClient,
  FederationUnavailableError,
  federationClientFor,
} from './client.ts'

/**
 * What the federation says of a publication's recipient (federation-duties §3.2, §7):
 * - `digital`: the e-Box exists (enterprise: an entry of `eboxPreferences/search`; citizen: an entry of
 *   `citizenEboxConsents/search`, i.e. the citizen accepted the e-Box terms);
 * - `notDigital`: no such entry: the message is published all the same, answered with NO_DIGITAL_USER;
 * - `notActiveCompany`: the recipient enterprise is unknown to the CBE or stopped: publication is refused.
 * Any failure to ask is a FederationUnavailableError (503 with Retry-After): never a guess.
 */
export type RecipientStanding = 'digital' | 'notDigital' | 'notActiveCompany'

export interface RecipientDirectory {
  standingOf(recipient: EboxIdentity): Promise<RecipientStanding>
}

export interface EboxPreferencesClientOptions {
  /** The federation's web services base (…/REST/ebox/enterprise/federation/v1). */
  baseUrl: string
  timeoutMs: number
  federation: FederationClient
  profile: Pick<FederationProfile, 'paths' | 'scopes'>
}

const TARGET = 'e-Box Preferences'
const unavailable = (reason: string) => new FederationUnavailableError(TARGET, `${TARGET}: ${reason}`)

/**
 * HTTP client of e-Box Preferences. `eboxPreferences/search` and its body are established [E S14]; the citizen
 * consents search is named [E3 S14] but its body is not published: we send the same body with eboxType CITIZEN
 * and read the same answer (an entry per citizen who consented). The enterprise status look-up is our assumption:
 * `GET {path}` answers `{ status: "active" | "stopped" }`, 404 for an enterprise the CBE does not know.
 * Paths and scopes come from the federation profile (docs/contract-decisions.md).
 */
export function createEboxPreferencesClient(options: EboxPreferencesClientOptions): RecipientDirectory {
  const base = options.baseUrl.replace(/\/+$/, '')
  const { paths, scopes } = options.profile

  async function search(path: string, scope: string, eboxType: 'ENTERPRISE' | 'CITIZEN', id: string) {
    const response = await options.federation.call({
      target: TARGET,
      url: `${base}${path}`,
      method: 'POST',
      scope,
      timeoutMs: options.timeoutMs,
      json: {
        eboxType,
        eboxIdType: eboxType === 'ENTERPRISE' ? 'EnterpriseNumber' : 'SSIN',
        eboxIdValueList: [id],
      },
    })
    return entriesOf(response.json()).some((entry) => idOf(entry) === id)
  }

  async function activeCompany(enterpriseNumber: string): Promise<boolean> {
    const response = await options.federation.call({
      target: TARGET,
      url: `${base}${fillPath(paths.enterpriseStatus, { enterpriseNumber })}`,
      scope: scopes.enterpriseStatus,
      timeoutMs: options.timeoutMs,
      accept: (status) => status === 200 || status === 404,
    })
    if (response.status === 404) return false
    const status = (response.json() as { status?: unknown } | null)?.status
    if (typeof status !== 'string') throw unavailable('enterprise status answer without status')
    const normalised = status.toLowerCase()
    if (normalised !== 'active' && normalised !== 'stopped')
      throw unavailable(`unknown enterprise status "${status.slice(0, 40)}"`)
    return normalised === 'active'
  }

  return {
    async standingOf(recipient) {
      if (recipient.eboxType === 'citizen') {
        const consented = await search(
          paths.citizenConsentsSearch,
          scopes.citizenConsents,
          'CITIZEN',
          recipient.id,
        )
        return consented ? 'digital' : 'notDigital'
      }
      const [active, registered] = await Promise.all([
        activeCompany(recipient.id),
        search(paths.eboxPreferencesSearch, scopes.eboxPreferences, 'ENTERPRISE', recipient.id),
      ])
      if (!active) return 'notActiveCompany'
      return registered ? 'digital' : 'notDigital'
    },
  }
}

/** The answer's entries: a bare array (as published) or `{ items: [...] }`. */
function entriesOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body
  const items = (body as { items?: unknown } | null)?.items
  if (Array.isArray(items)) return items
  throw unavailable('unexpected answer shape')
}

function idOf(entry: unknown): string {
  const value = (entry as { eboxId?: { eboxIdValue?: unknown } } | null)?.eboxId?.eboxIdValue
  if (typeof value !== 'string') throw unavailable('an entry without eboxId.eboxIdValue')
  return value
}

export interface RecipientCacheOptions {
  /** How long one answer is used; 0 = never cached. */
  ttlSeconds: number
  /** Answers kept at most; when full, the oldest goes. */
  maxEntries: number
  now?: () => number
}

/**
 * Answers kept in memory, bounded in time and size: a sender publishing to thousands of recipients in a batch
 * asks the federation once per recipient and TTL, and the map never grows past `maxEntries`. Failures are not
 * kept: the next publication asks again.
 */
export function cachedRecipientDirectory(
  source: RecipientDirectory,
  options: RecipientCacheOptions,
): RecipientDirectory {
  const answers = createAnswerCache<RecipientStanding>({
    ttlMs: options.ttlSeconds * 1000,
    maxEntries: options.maxEntries,
    now: options.now,
  })
  return {
    async standingOf(recipient) {
      const key = `${recipient.eboxType}|${recipient.id}`
      const hit = answers.get(key)
      if (hit !== undefined) return hit
      const standing = await source.standingOf(recipient)
      answers.set(key, standing)
      return standing
    },
  }
}

/**
 * No e-Box Preferences configured (EBOX_PREFERENCES_URL unset, or no OAuth client of the DP): publication cannot
 * know whether the recipient has an e-Box, so it is refused with 503, never answered by a guess.
 */
export function unconfiguredRecipientDirectory(): RecipientDirectory {
  return {
    async standingOf() {
      throw new RegistryError(
        'SERVICE_UNAVAILABLE',
        'No e-Box Preferences service is configured (EBOX_PREFERENCES_URL).',
        {
          headers: { 'retry-after': String(FEDERATION_RETRY_AFTER_SECONDS) },
        },
      )
    },
  }
}

/** The directory EBOX_PREFERENCES_URL names, cached; the refusing stand-in when it or the OAuth client is unset. */
export function recipientDirectoryFromConfig(config: Config): RecipientDirectory {
  const { url, timeoutMs, cacheSeconds, cacheEntries } = config.eboxPreferences
  const federation = federationClientFor(config.oauth)
  if (!url || !federation) return unconfiguredRecipientDirectory()
  return cachedRecipientDirectory(
    createEboxPreferencesClient({ baseUrl: url, timeoutMs, federation, profile: config.federationProfile }),
    { ttlSeconds: cacheSeconds, maxEntries: cacheEntries },
  )
}
