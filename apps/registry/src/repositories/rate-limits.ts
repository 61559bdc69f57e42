import type { Queryable } from '../db/pool.ts'

/**
 * The shared counters of the rate limits (migration 0011): fixed windows, one row per key and window.
 * `countHits` adds one hit to every key in a single upsert and returns the counts after it.
 */
export async function countHits(
  db: Queryable,
  keys: readonly string[],
  windowStart: number,
): Promise<Map<string, number>> {
  const result = await db.query<{ key: string; hits: number }>({
    name: 'rate-limit-count-hits',
    text: `INSERT INTO rate_limit_counters (key, window_start, hits)
           SELECT key, $2, 1 FROM unnest($1::text[]) AS key
           ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1
           RETURNING key, hits`,
    values: [keys, windowStart],
  })
  return new Map(result.rows.map((row) => [row.key, row.hits]))
}

/** Drops the windows that ended before `windowStart`: they can no longer limit anything. */
export async function deleteWindowsBefore(db: Queryable, windowStart: number): Promise<void> {
  await db.query('DELETE FROM rate_limit_counters WHERE window_start < $1', [windowStart])
}
