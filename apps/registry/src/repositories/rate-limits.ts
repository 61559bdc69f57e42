import type { Queryable } from '../db/pool.ts'

/**
 * The shared counters of the rate limits (migration 0012): fixed windows, one row per key and window.
 * `countHits` adds each key's number of hits in a single upsert and returns the counts after it.
 */
export async function countHits(
  db: Queryable,
  hits: ReadonlyMap<string, number>,
  windowStart: number,
): Promise<Map<string, number>> {
  const result = await db.query<{ key: string; hits: number }>({
    name: 'rate-limit-count-hits',
    text: `INSERT INTO rate_limit_counters (key, window_start, hits)
           SELECT key, $2, n FROM unnest($1::text[], $3::int[]) AS added(key, n)
           ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_counters.hits + excluded.hits
           RETURNING key, hits`,
    values: [[...hits.keys()], windowStart, [...hits.values()]],
  })
  return new Map(result.rows.map((row) => [row.key, row.hits]))
}

/** Drops the windows that ended before `windowStart`: they can no longer limit anything. */
export async function deleteWindowsBefore(db: Queryable, windowStart: number): Promise<void> {
  await db.query('DELETE FROM rate_limit_counters WHERE window_start < $1', [windowStart])
}
