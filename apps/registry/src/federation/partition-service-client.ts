import { type FederationProfile, fillPath, RegistryError } from '@ebox/contract'
import type pg from 'pg'
import type { Config } from '../config.ts'
import { inTransaction } from '../db/pool.ts'
import { cachedUserPartitions, storeFetchedUserPartitions } from '../repositories/partition-rights.ts'
import { replaceRoutingRules, routingRulesFor } from '../repositories/routing-rules.ts'
import { createAnswerCache } from './answer-cache.ts'
import { type FederationClient, FederationUnavailableError, federationClientFor } from './client.ts'
import type { MandateOperation, PartitionService, RoutingRule } from './partition-service.ts'

/**
 * HTTP client of the federation's Partition service v1 (federation-duties §3.3), called with the DP's own
 * client_credentials token. Paths: `GET /ebox/{cbe}/routingRules` and `GET /ebox/{cbe}/hasMandate` (operation
 * `publish`) are established; the user-rights path and the `consult` mandate operation are not, and come from the
 * federation profile (FEDERATION_USER_RIGHTS_PATH, FEDERATION_CONSULT_MANDATE_OPERATION).
 * Every call is bounded by `timeoutMs`; any failure is a 503 (fail closed), never an answer.
 */
export interface PartitionServiceClientOptions {
  baseUrl: string
  timeoutMs: number
  /** Scope of the DP's token to the Partition service; undefined = the client's default scopes. */
  scope: string | undefined
  federation: FederationClient
  profile: Pick<FederationProfile, 'paths' | 'consultMandateOperation'>
}

const unavailable = (reason: string) => new FederationUnavailableError('Partition service', reason)

export function createPartitionServiceClient(options: PartitionServiceClientOptions): PartitionService {
  const base = options.baseUrl.replace(/\/+$/, '')

  /** GET a JSON document; undefined for 404. */
  async function get(path: string, query?: Record<string, string>): Promise<unknown> {
    const url = new URL(`${base}${path}`)
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value)
    const response = await options.federation.call({
      target: 'Partition service',
      url,
      scope: options.scope,
      timeoutMs: options.timeoutMs,
      accept: (status) => status === 200 || status === 404,
    })
    return response.status === 404 ? undefined : response.json()
  }

  const segment = (value: string) => encodeURIComponent(value)

  return {
    async routingRules(enterpriseNumber) {
      const body = await get(`/ebox/${segment(enterpriseNumber)}/routingRules`)
      return body === undefined ? [] : parseRoutingRules(body)
    },
    async userPartitions(enterpriseNumber, userSsin) {
      const body = await get(fillPath(options.profile.paths.userRights, { enterpriseNumber, ssin: userSsin }))
      return body === undefined ? [] : parsePartitions(body)
    },
    async hasMandate(enterpriseNumber, mandataryEnterpriseNumber, operation) {
      const body = await get(`/ebox/${segment(enterpriseNumber)}/hasMandate`, {
        mandataryEnterpriseNumber,
        operation: operation === 'consult' ? options.profile.consultMandateOperation : operation,
      })
      if (body === undefined) return false
      const answer = (body as { hasMandate?: unknown }).hasMandate
      if (typeof answer !== 'boolean') throw unavailable('hasMandate answer without hasMandate')
      return answer
    },
  }
}

/** `{ items: [...] }`, `{ orderedRoutingRules: [...] }` or a bare array, highest priority first. */
export function parseRoutingRules(body: unknown): RoutingRule[] {
  const list = listOf(body, ['items', 'orderedRoutingRules', 'routingRules'])
  return list.map((item) => {
    const rule = toRoutingRule(item)
    if (!rule) throw unavailable('malformed routing rule from the Partition service')
    return rule
  })
}

export function toRoutingRule(item: unknown): RoutingRule | undefined {
  if (typeof item !== 'object' || item === null) return undefined
  const { routingRuleId, partitionId, messageTypeId, senderApplicationId, senderOrganizationId } =
    item as Record<string, unknown>
  if (!Number.isSafeInteger(routingRuleId) || typeof partitionId !== 'string' || partitionId === '')
    return undefined
  const optional = [messageTypeId, senderApplicationId, senderOrganizationId]
  if (optional.some((value) => value !== undefined && value !== null && typeof value !== 'string'))
    return undefined
  return {
    routingRuleId: routingRuleId as number,
    partitionId,
    ...(typeof messageTypeId === 'string' && { messageTypeId }),
    ...(typeof senderApplicationId === 'string' && { senderApplicationId }),
    ...(typeof senderOrganizationId === 'string' && { senderOrganizationId }),
  }
}

/** `{ items: [{ partitionId }] }`, an array of such objects, or an array of partition ids. */
function parsePartitions(body: unknown): string[] {
  const list = listOf(body, ['items', 'partitions'])
  return list.map((item) => {
    const id = typeof item === 'string' ? item : (item as { partitionId?: unknown } | null)?.partitionId
    if (typeof id !== 'string' || id === '')
      throw unavailable('malformed partition from the Partition service')
    return id
  })
}

function listOf(body: unknown, keys: string[]): unknown[] {
  if (Array.isArray(body)) return body
  if (typeof body === 'object' && body !== null) {
    for (const key of keys) {
      const value = (body as Record<string, unknown>)[key]
      if (Array.isArray(value)) return value
    }
  }
  throw unavailable('unexpected answer shape from the Partition service')
}

export interface CachedPartitionServiceOptions {
  /** How long a fetched set of user rights is used (webhook events change it at once). */
  cacheSeconds: number
  /** Mandates are kept this long in memory (both answers). Default min(cacheSeconds, 60). */
  mandateCacheSeconds?: number
  maxMandateEntries?: number
}

/**
 * The Partition service as the registry uses it: users' rights from the database cache (filled on a miss,
 * changed by webhook events), mandates from a short in-memory cache, routing rules straight from the service
 * (publication caches those in the database: cachedRoutingRules below).
 */
export function createCachedPartitionService(
  service: PartitionService,
  pool: pg.Pool,
  options: CachedPartitionServiceOptions,
): PartitionService {
  const mandates = createAnswerCache<boolean>({
    ttlMs: (options.mandateCacheSeconds ?? Math.min(options.cacheSeconds, 60)) * 1000,
    maxEntries: options.maxMandateEntries ?? 10_000,
  })

  return {
    routingRules: (enterpriseNumber) => service.routingRules(enterpriseNumber),

    async userPartitions(enterpriseNumber, userSsin) {
      const cached = await cachedUserPartitions(pool, enterpriseNumber, userSsin, options.cacheSeconds)
      if (cached) return cached
      const fetchedAt = new Date()
      const partitions = [...new Set(await service.userPartitions(enterpriseNumber, userSsin))].sort()
      await inTransaction(pool, (client) =>
        storeFetchedUserPartitions(client, enterpriseNumber, userSsin, partitions, fetchedAt),
      )
      // Events newer than the fetch may already have changed the set: read back what is now stored.
      return (
        (await cachedUserPartitions(pool, enterpriseNumber, userSsin, options.cacheSeconds)) ?? partitions
      )
    },

    async hasMandate(enterpriseNumber, mandataryEnterpriseNumber, operation: MandateOperation) {
      const key = `${enterpriseNumber}|${mandataryEnterpriseNumber}|${operation}`
      const hit = mandates.get(key)
      if (hit !== undefined) return hit
      const value = await service.hasMandate(enterpriseNumber, mandataryEnterpriseNumber, operation)
      mandates.set(key, value)
      return value
    },
  }
}

/**
 * No Partition service configured (development, tests that need none): no routing rules (every message goes to
 * GENERAL), and 503 for anything that needs a right or a mandate — never a guess that grants access.
 */
export function unconfiguredPartitionService(): PartitionService {
  const refuse = async (): Promise<never> => {
    throw new RegistryError(
      'SERVICE_UNAVAILABLE',
      'No Partition service is configured (PARTITION_SERVICE_URL).',
    )
  }
  return { routingRules: async () => [], userPartitions: refuse, hasMandate: refuse }
}

/** The Partition service PARTITION_SERVICE_URL names (with its cache), or the refusing stand-in when unset. */
export function partitionServiceFromConfig(config: Config, pool: pg.Pool): PartitionService {
  const { url, timeoutMs, cacheSeconds, scope } = config.partitionService
  const federation = federationClientFor(config.oauth)
  if (!url || !federation) return unconfiguredPartitionService()
  return createCachedPartitionService(
    createPartitionServiceClient({
      baseUrl: url,
      timeoutMs,
      scope,
      federation,
      profile: config.federationProfile,
    }),
    pool,
    {
      cacheSeconds,
    },
  )
}

// Routing rules for publication -----------------------------------------------------------------------------------

/**
 * The routing rules of `enterpriseNumber` as publication uses them (federation-duties §3.3): the cached set
 * (repositories/routing-rules.ts, kept current by the webhook), else fetched from `source` (no connection held
 * meanwhile) and cached in a short transaction of its own. Undefined when they cannot be known: no service configured, or it fails (`onUnavailable`
 * hears why; the message then goes to GENERAL, docs/contract-decisions.md).
 */
export async function cachedRoutingRules(
  pool: pg.Pool,
  source: Pick<PartitionService, 'routingRules'> | undefined,
  enterpriseNumber: string,
  onUnavailable: (error: unknown) => void,
): Promise<RoutingRule[] | undefined> {
  let rules = await routingRulesFor(pool, enterpriseNumber)
  if (rules === undefined && source) {
    const askedAt = new Date()
    try {
      rules = await source.routingRules(enterpriseNumber)
    } catch (error) {
      onUnavailable(error)
    }
    const fetched = rules
    if (fetched !== undefined) {
      await inTransaction(pool, (client) => replaceRoutingRules(client, enterpriseNumber, fetched, askedAt))
    }
  }
  return rules
}
