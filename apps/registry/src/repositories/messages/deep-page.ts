import type { MessageScope } from '../../auth/message-scope.ts'
import { MESSAGE_COLUMNS, type MessageRow } from './rows.ts'
import { type Params, scopeCondition } from './scope-condition.ts'

/**
 * Deep pages of the default list without skipping every entry before them (issue 19, BENCHMARKS.md "Round 3").
 *
 * OFFSET 50,000 walks 50,000 index entries. Each deep page served leaves an anchor in the process: its offset A,
 * the key (published_at, publication_seq) of its first message, the instant t0 it was read and the version of the
 * scope's counter rows (ebox_message_counts). A later page at offset O ≥ A reads from the key on, skipping O − A
 * entries plus those before the key that expired since t0; a page from the anchor is then the page plain OFFSET
 * gives, because:
 * - the count triggers update a counter row on every insert, delete and partition move of a message of the
 *   scope (migration 0006), so an unchanged version (the rows' xmin) means the scope's messages are the same;
 * - then the listed messages before the key are the A of t0 minus those expired in (t0, now], counted in the same
 *   statement (a short range of the expiry).
 * This relies on a message's published_at, publication_seq and expires_at never changing once published (the
 * service updates only read_at, visible and partition_id; a change of counts-neutral columns in place would not
 * move the version), and on no single statement inserting and deleting messages of one partition at once.
 * The check and the page are one statement (one snapshot): any change falls back to plain OFFSET, in that same
 * statement. A process that never saw the scope, or restarted, also reads by OFFSET, and anchors from then on.
 */

/** Below this offset plain OFFSET is cheap (a few hundred index entries): no anchor is kept or used. */
export const DEEP_OFFSET = 500

interface Anchor {
  offset: number
  publishedAt: string
  seq: string
  listedAt: string
  version: string
}

/** Anchors per scope, newest scope last (Map order), a few per scope. */
const anchors = new Map<string, Anchor[]>()
const MAX_SCOPES = 10_000
const MAX_ANCHORS_PER_SCOPE = 16

const scopeKey = (scope: MessageScope) =>
  `${scope.ebox.eboxType}:${scope.ebox.id}:${scope.partitions === undefined ? '*' : [...scope.partitions].sort().join(',')}`

/** The kept anchor nearest below `offset`, if any. */
function anchorFor(key: string, offset: number): Anchor | undefined {
  let best: Anchor | undefined
  for (const anchor of anchors.get(key) ?? []) {
    if (anchor.offset <= offset && (best === undefined || anchor.offset > best.offset)) best = anchor
  }
  return best
}

function keepAnchor(key: string, anchor: Anchor): void {
  const kept = (anchors.get(key) ?? []).filter((a) => a.offset !== anchor.offset)
  kept.push(anchor)
  if (kept.length > MAX_ANCHORS_PER_SCOPE) kept.shift()
  anchors.delete(key)
  anchors.set(key, kept)
  if (anchors.size > MAX_SCOPES) anchors.delete(anchors.keys().next().value as string)
}

export interface DeepPageRow extends MessageRow {
  list_version: string | null
  listed_at: string
  key_published_at: string
  key_seq: string
}

/**
 * The statement of a deep page of the default list (`where`: scope and default conditions, already in `params`),
 * and what to do with its rows once read (keep the anchor they give). Its text is fixed: a named statement.
 */
export function deepPageStatement(
  params: Params,
  scope: MessageScope,
  where: string,
  pageSize: number,
  offset: number,
): { text: string; values: unknown[]; remember: (rows: DeepPageRow[]) => void } {
  const key = scopeKey(scope)
  const anchor = anchorFor(key, offset)
  const scoped = scopeCondition(params, scope)
  const counts = scopeCondition(params, scope, 'c')
  const version = params.add(anchor?.version ?? null)
  const anchorKey = `(${params.add(anchor?.publishedAt ?? null)}::timestamptz, ${params.add(anchor?.seq ?? null)}::bigint)`
  const listedAt = params.add(anchor?.listedAt ?? null)
  const relative = params.add(anchor ? offset - anchor.offset : 0)
  const absolute = params.add(offset)
  const limit = params.add(pageSize)
  const ordered = 'ORDER BY m.published_at DESC, m.publication_seq DESC'
  const text = `WITH counts AS (
      SELECT string_agg(c.partition_id || ':' || c.xmin::text, ',' ORDER BY c.partition_id) AS version
      FROM ebox_message_counts c WHERE ${counts}),
    anchored AS (SELECT coalesce(version = ${version}::text, false) AS valid FROM counts),
    ids AS (
      (SELECT m.message_id FROM messages m
       WHERE ${where} AND (SELECT valid FROM anchored) AND (m.published_at, m.publication_seq) <= ${anchorKey}
       ${ordered} LIMIT ${limit}
       OFFSET ${relative}::bigint + (SELECT count(*) FROM messages m WHERE ${scoped}
         AND m.expires_at > ${listedAt}::timestamptz AND m.expires_at <= now()
         AND (m.published_at, m.publication_seq) > ${anchorKey}))
      UNION ALL
      (SELECT m.message_id FROM messages m WHERE ${where} AND NOT (SELECT valid FROM anchored)
       ${ordered} LIMIT ${limit} OFFSET ${absolute}))
    SELECT (SELECT version FROM counts) AS list_version, now()::text AS listed_at,
      m.published_at::text AS key_published_at, m.publication_seq::text AS key_seq, ${MESSAGE_COLUMNS}
    FROM messages m WHERE m.message_id IN (SELECT message_id FROM ids)
    ${ordered}`
  const remember = (rows: DeepPageRow[]) => {
    const first = rows[0]
    if (first?.list_version == null) return
    keepAnchor(key, {
      offset,
      publishedAt: first.key_published_at,
      seq: first.key_seq,
      listedAt: first.listed_at,
      version: first.list_version,
    })
  }
  return { text, values: params.values, remember }
}

/** Forgets every anchor (tests: a fresh process). */
export function forgetAnchors(): void {
  anchors.clear()
}
