import { CONTRACT, type Language, type Message, normaliseEnterpriseNumber } from '@ebox/contract'
import type { MessageScope } from '../../auth/message-scope.ts'
import type { Queryable } from '../../db/pool.ts'
import { prepared } from '../../db/prepared.ts'
import { DEEP_OFFSET, type DeepPageRow, deepPageStatement } from './deep-page.ts'
import { MESSAGE_COLUMNS, type MessageRow, messageOf } from './rows.ts'
import { Params, scopeCondition } from './scope-condition.ts'
import { planSearch, SEARCH_COLUMN, type SearchPlan, searchCandidates, searchPattern } from './search.ts'

/** The list of the caller's messages (§5.1): filters, search, paging and the count without counting rows. */

export interface MessageFilters {
  receivedBefore?: string
  receivedAfter?: string
  expiredBefore?: string
  expiredAfter?: string
  readStatus?: boolean
  visible?: boolean
  registeredMail?: boolean
  messageTypeId?: string
  senderOrganizationId?: string
  senderApplicationId?: string
  partitionId?: string
  q?: string
  qlang?: Language
}

/** The WHERE conditions of the list filters (§5.1), ANDed; empty when the caller gave none. */
function filterConditions(
  params: Params,
  scope: MessageScope,
  filters: MessageFilters,
  references?: SearchPlan,
): string[] {
  const conditions: string[] = []
  const zone = () => params.add(CONTRACT.filterTimeZone)
  // A calendar day D in Brussels starts at D 00:00 local time: After = on or after it, Before = before it.
  const dayStart = (date: string) => `(${params.add(date)}::date::timestamp AT TIME ZONE ${zone()})`
  if (filters.receivedAfter) conditions.push(`m.published_at >= ${dayStart(filters.receivedAfter)}`)
  if (filters.receivedBefore) conditions.push(`m.published_at < ${dayStart(filters.receivedBefore)}`)
  if (filters.expiredAfter) conditions.push(`m.expires_at >= ${dayStart(filters.expiredAfter)}`)
  if (filters.expiredBefore) conditions.push(`m.expires_at < ${dayStart(filters.expiredBefore)}`)
  if (filters.readStatus !== undefined) {
    conditions.push(filters.readStatus ? 'm.read_at IS NOT NULL' : 'm.read_at IS NULL')
  }
  if (filters.visible !== undefined) conditions.push(filters.visible ? 'm.visible' : 'NOT m.visible')
  if (filters.registeredMail !== undefined) {
    conditions.push(filters.registeredMail ? 'm.registered_mail' : 'NOT m.registered_mail')
  }
  if (filters.messageTypeId !== undefined)
    conditions.push(`m.message_type_id = ${params.add(filters.messageTypeId)}`)
  if (filters.senderOrganizationId !== undefined) {
    const number = normaliseEnterpriseNumber(filters.senderOrganizationId)
    conditions.push(`m.sender_enterprise_number = ${params.add(number)}`)
  }
  if (filters.senderApplicationId !== undefined) {
    conditions.push(`m.sender_application_id = ${params.add(filters.senderApplicationId)}`)
  }
  if (filters.partitionId !== undefined) {
    // Citizen e-Boxes have no partitions (§1): a partition filter finds nothing there.
    conditions.push(
      scope.ebox.eboxType === 'citizen' ? 'false' : `m.partition_id = ${params.add(filters.partitionId)}`,
    )
  }
  if (filters.q !== undefined && filters.qlang !== undefined) {
    // Substring of the normalised text of one language: the message's own fields (subject, business data
    // values, forTheAttentionOf), or the names/descriptions of its message type, application, organisation —
    // resolved beforehand into id lists, so that every branch of the OR has an index of its own (trigram GIN,
    // type/application/sender indexes) and the planner can BitmapOr them.
    const column = SEARCH_COLUMN[filters.qlang]
    const branches = [`m.${column} LIKE ${params.add(searchPattern(filters.q))} ESCAPE '\\'`]
    const refs = references ?? { types: [], applications: [], organizations: [] }
    if (refs.types.length > 0) branches.push(`m.message_type_id = ANY(${params.add(refs.types)}::text[])`)
    if (refs.applications.length > 0) {
      branches.push(`m.sender_application_id = ANY(${params.add(refs.applications)}::text[])`)
    }
    if (refs.organizations.length > 0) {
      branches.push(`m.sender_enterprise_number = ANY(${params.add(refs.organizations)}::text[])`)
    }
    conditions.push(`(${branches.join(' OR ')})`)
  }
  return conditions
}

/** Expired messages are left out unless an expired* filter speaks of expiry (CONTRACT.hideExpiredByDefault). */
const hidesExpired = (filters: MessageFilters) =>
  CONTRACT.hideExpiredByDefault && filters.expiredAfter === undefined && filters.expiredBefore === undefined

function defaultConditions(filters: MessageFilters): string[] {
  const conditions: string[] = []
  if (hidesExpired(filters)) conditions.push('m.expires_at > now()')
  if (CONTRACT.hideInvisibleByDefault && filters.visible === undefined) conditions.push('m.visible')
  return conditions
}

/**
 * Messages listed by default in the scope, without counting rows: the trigger-kept counts minus the messages
 * expired at each row's mark (also trigger-kept, migration 0006) minus those expired since the mark (a short
 * range of messages_by_ebox_expiry). Docs: docs/contract-decisions.md, "totalItems"; BENCHMARKS.md.
 */
function countListedQuery(params: Params, scope: MessageScope): string {
  return `SELECT coalesce(sum(c.total - c.expired - (
              SELECT count(*) FROM messages m
              WHERE m.recipient_type = c.recipient_type AND m.recipient_id = c.recipient_id
                AND m.partition_id = c.partition_id AND m.expires_at > c.expired_until
                AND m.expires_at <= now())), 0) AS n,
            coalesce(min(c.expired_until) < now() - interval '10 minutes', false) AS stale
     FROM ebox_message_counts c WHERE ${scopeCondition(params, scope, 'c')}`
}

interface ListedCount {
  n: string
  stale: boolean
}

/** `totalItems` from a row of countListedQuery; moves the scope's expiry marks when they are stale. */
function listedTotal(db: Queryable, scope: MessageScope, count: ListedCount | undefined): number {
  if (count?.stale) moveExpiryMarks(db, scope)
  return Number(count?.n ?? 0)
}

async function countListed(db: Queryable, scope: MessageScope): Promise<number> {
  const params = new Params()
  const { rows } = await db.query<ListedCount>(prepared(countListedQuery(params, scope), params.values))
  return listedTotal(db, scope, rows[0])
}

/** Each process moves an e-Box's expiry marks at most this often (the read above then counts a short range). */
const EXPIRY_MARK_INTERVAL_MS = 600_000
const lastExpiryMark = new Map<string, number>()

/** Moves the marks of the scope's e-Box to now, in the background (never waits for a row a writer holds). */
function moveExpiryMarks(db: Queryable, scope: MessageScope, now = Date.now()): void {
  const key = `${scope.ebox.eboxType}:${scope.ebox.id}`
  const last = lastExpiryMark.get(key)
  if (last !== undefined && now - last < EXPIRY_MARK_INTERVAL_MS) return
  lastExpiryMark.set(key, now)
  if (lastExpiryMark.size > 100_000) lastExpiryMark.clear()
  db.query('SELECT ebox_message_counts_expire($1, $2, now())', [scope.ebox.eboxType, scope.ebox.id]).catch(
    () => {
      lastExpiryMark.delete(key)
    },
  )
}

/** A deep page of the default list, from an anchor when the process kept one (deep-page.ts). */
async function deepPage(
  db: Queryable,
  scope: MessageScope,
  defaults: string[],
  pageSize: number,
  skipped: number,
): Promise<{ rows: MessageRow[] }> {
  const params = new Params()
  const where = [scopeCondition(params, scope), ...defaults].join(' AND ')
  const { text, values, remember } = deepPageStatement(params, scope, where, pageSize, skipped)
  const result = await db.query<DeepPageRow>(prepared(text, values))
  remember(result.rows)
  return result
}

export interface Page {
  page: number
  pageSize: number
}

/**
 * A page of the caller's messages, newest publication first, ties (same second) broken by publication order, so
 * pages never overlap nor skip. At most two queries whatever the page size: the page with its attachments, and the
 * count — one statement with the page for the default list's first pages and for a search (which first reads the
 * reference data `q` matches).
 */
export async function listMessages(
  db: Queryable,
  scope: MessageScope,
  filters: MessageFilters,
  page: Page,
): Promise<{ items: Message[]; totalItems: number }> {
  const params = new Params()
  const search =
    filters.q !== undefined && filters.qlang !== undefined
      ? { q: filters.q, qlang: filters.qlang }
      : undefined
  const plan = search
    ? await planSearch(db, scope, { ...search, byExpiry: hidesExpired(filters) })
    : undefined
  const filtered = filterConditions(params, scope, filters, plan)
  const where = [scopeCondition(params, scope), ...filtered, ...defaultConditions(filters)].join(' AND ')
  const countParams = params.values.slice()
  const limit = params.add(page.pageSize)
  const offset = params.add((page.page - 1) * page.pageSize)
  // publication_seq: publication order within the same second (migration 0010).
  const ordered = 'ORDER BY m.published_at DESC, m.publication_seq DESC'
  // Only the default list is a named statement. Filtered lists and searches are planned on each call: the generic
  // plan of a named statement assumes an average e-Box, and on one 200 times larger it walked the whole e-Box
  // for a search (234 ms instead of 20; BENCHMARKS.md).
  const statement = (text: string, values: unknown[]) =>
    filtered.length === 0 ? prepared(text, values) : { text, values }
  let rows: MessageRow[]
  let totalItems: number
  if (plan) {
    // Both the page and the count need every candidate of the search (the match, expiry): they are read once, in
    // one statement, instead of once per query (BENCHMARKS.md, search).
    const candidates = searchCandidates(params, plan)
    // By keys, the candidates can only come from the keys' GIN index (behind OFFSET 0): a generic plan is the same
    // plan, so that statement is named and planned once per connection (BENCHMARKS.md, search).
    const run = plan.keys === null ? statement : prepared
    const result = await db.query<MessageRow & { total: string }>(
      run(
        `WITH matches AS MATERIALIZED (SELECT m.message_id, m.published_at, m.publication_seq FROM ${candidates} WHERE ${where}),
              page AS (SELECT m.message_id FROM matches m ${ordered} LIMIT ${limit} OFFSET ${offset})
         SELECT t.total, ${MESSAGE_COLUMNS}
         FROM (SELECT count(*) AS total FROM matches) t
           LEFT JOIN (page JOIN messages m USING (message_id)) ON true
         ${ordered}`,
        params.values,
      ),
    )
    rows = result.rows.filter((row) => row.message_id !== null)
    totalItems = Number(result.rows[0]?.total ?? 0)
  } else {
    const unfiltered =
      filtered.length === 0 && CONTRACT.hideExpiredByDefault && !CONTRACT.hideInvisibleByDefault
    const skipped = (page.page - 1) * page.pageSize
    // The page's ids first (an index-only scan of messages_by_ebox for the default list: migration 0006 includes
    // expires_at and partition_id), then only those rows (BENCHMARKS.md).
    const pageIds = `SELECT m.message_id FROM messages m WHERE ${where} ${ordered} LIMIT ${limit} OFFSET ${offset}`
    if (unfiltered && skipped < DEEP_OFFSET) {
      // The default list's first pages: page and count in one statement (one round trip less per request).
      const result = await db.query<MessageRow & ListedCount>(
        prepared(
          `SELECT c.n, c.stale, ${MESSAGE_COLUMNS}
           FROM (${countListedQuery(params, scope)}) c
             LEFT JOIN (messages m JOIN (${pageIds}) page USING (message_id)) ON true
           ${ordered}`,
          params.values,
        ),
      )
      rows = result.rows.filter((row) => row.message_id !== null)
      totalItems = listedTotal(db, scope, result.rows[0])
    } else {
      const [result, total] = await Promise.all([
        unfiltered
          ? deepPage(db, scope, defaultConditions(filters), page.pageSize, skipped)
          : db.query<MessageRow>(
              statement(
                `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.message_id IN (${pageIds}) ${ordered}`,
                params.values,
              ),
            ),
        unfiltered
          ? countListed(db, scope)
          : db
              .query<{ n: string }>(
                statement(`SELECT count(*) AS n FROM messages m WHERE ${where}`, countParams),
              )
              .then((count) => Number(count.rows[0]?.n ?? 0)),
      ])
      rows = result.rows
      totalItems = total
    }
  }
  return { items: rows.map(messageOf), totalItems }
}
