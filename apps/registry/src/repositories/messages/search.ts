import { escapeLike, type Language, normaliseForSearch } from '@ebox/contract'
import type { MessageScope } from '../../auth/message-scope.ts'
import type { Queryable } from '../../db/pool.ts'
import { prepared } from '../../db/prepared.ts'
import { Params, scopeCondition } from './scope-condition.ts'

/**
 * How a text search (`q`, `qlang`) finds its messages. The match itself is always the substring LIKE of migration
 * 0001 on the normalised text, or the message's type, application or organisation when their names hold `q`
 * (docs/contract-decisions.md). What changes is where the candidates come from: when `q` is one word (no separator
 * of search_words_of), the messages' search keys (migrations 0017/0018) narrow them, through one GIN index whose
 * posting lists hold one e-Box's messages, to those holding a word that contains `q`, or one of the matching
 * types, applications or organisations, and (for the default list) expiring in a month not yet past. Otherwise
 * the trigram indexes of 0001 do, as before. BENCHMARKS.md, "Search".
 */

export const SEARCH_COLUMN: Record<Language, string> = { nl: 'search_nl', fr: 'search_fr', de: 'search_de' }

export const searchPattern = (q: string) => `%${escapeLike(normaliseForSearch(q))}%`

/** More vocabulary words than this (a short or very common `q`, e.g. digits) and the trigram path is cheaper. */
const MAX_WORDS = 1000
/** More expiry months than this ahead (messages kept for decades) and the keys stop narrowing by expiry. */
const MAX_EXPIRY_BUCKETS = 120

export interface SearchPlan {
  /** Reference data whose names or descriptions in `qlang` hold `q`. */
  types: string[]
  applications: string[]
  organizations: string[]
  /** Keys a matching message holds at least one of; null: `q` is not one word, use the trigram path. */
  keys: string[] | null
  /** Keys of the expiry months not yet past; null: do not narrow by expiry. */
  expiryKeys: string[] | null
}

/** One round trip before the search: the matching reference data and, when `q` is one word, the keys to look for. */
export async function planSearch(
  db: Queryable,
  scope: MessageScope,
  search: { q: string; qlang: Language; byExpiry: boolean },
): Promise<SearchPlan> {
  const params = new Params()
  const pattern = params.add(searchPattern(search.q))
  const like = `${SEARCH_COLUMN[search.qlang]} LIKE ${pattern} ESCAPE '\\'`
  const word = params.add(normaliseForSearch(search.q))
  const [type, id] = [params.add(scope.ebox.eboxType), params.add(scope.ebox.id)]
  const key = (kind: string, value: string) => `message_search_key(${type}, ${id}, ${kind}, ${value})`
  const keysOf = (kind: string, values: string) =>
    `array(SELECT ${key(params.add(kind), 'v')} FROM unnest(${values}) v)`
  const expiryKeys = search.byExpiry
    ? `(SELECT CASE WHEN last - first < ${MAX_EXPIRY_BUCKETS}
          THEN array(SELECT ${key(`'expiry'`, 'b::text')} FROM generate_series(first, last) b) END
        FROM (SELECT message_search_expiry_bucket(now()) AS first,
                     coalesce(message_search_expiry_bucket(max(m.expires_at)), 0) AS last
              FROM messages m WHERE ${scopeCondition(params, scope)}) buckets)`
    : 'NULL'
  // The vocabulary's words are read once (a CTE), however often the keys below refer to them. A named statement:
  // its generic plan reads the vocabulary through its trigram index as a custom plan does (one plan per language
  // and scope shape).
  const { rows } = await db.query<SearchPlan>(
    prepared(
      `WITH refs AS MATERIALIZED (
             SELECT array(SELECT message_type_id FROM message_types WHERE ${like}) AS types,
                    array(SELECT application_id FROM sender_applications WHERE ${like}) AS applications,
                    array(SELECT organization_id FROM sender_organizations WHERE ${like}) AS organizations),
           vocabulary AS MATERIALIZED (
             SELECT CASE WHEN char_length(${word}) >= 3 AND search_words_of(${word}) = ARRAY[${word}]
                          AND message_search_keys_trusted()
                    THEN array(SELECT word FROM search_words WHERE word LIKE ${pattern} ESCAPE '\\'
                               LIMIT ${MAX_WORDS + 1}) END AS words)
           SELECT refs.types, refs.applications, refs.organizations,
                  CASE WHEN cardinality(vocabulary.words) <= ${MAX_WORDS} THEN
                    ${keysOf(search.qlang, 'vocabulary.words')} || ${keysOf('type', 'refs.types')}
                    || ${keysOf('application', 'refs.applications')} || ${keysOf('organization', 'refs.organizations')}
                  END AS keys,
                  CASE WHEN cardinality(vocabulary.words) <= ${MAX_WORDS} THEN ${expiryKeys} END AS "expiryKeys"
           FROM refs, vocabulary`,
      params.values,
    ),
  )
  const row = rows[0]
  return row ?? { types: [], applications: [], organizations: [], keys: null, expiryKeys: null }
}

/**
 * The messages a search reads its candidates from: by keys when the plan has them, else the whole table (the
 * trigram path). OFFSET 0 keeps the planner from pushing the rest of the WHERE (the LIKE, the type lists) into
 * index scans of their own and ANDing them with the keys': the keys alone are the selective index.
 */
export function searchCandidates(params: Params, plan: SearchPlan): string {
  if (plan.keys === null) return 'messages m'
  const conditions = [`m.search_keys && ${params.add(plan.keys)}::bigint[]`]
  if (plan.expiryKeys !== null) conditions.push(`m.search_keys && ${params.add(plan.expiryKeys)}::bigint[]`)
  return `(SELECT * FROM messages m WHERE ${conditions.join(' AND ')} OFFSET 0) m`
}
