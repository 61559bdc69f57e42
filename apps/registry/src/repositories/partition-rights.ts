import type pg from 'pg'
import type { Queryable } from '../db/pool.ts'

/**
 * The cache of users' partition rights (migrations/0004_partition_rights.sql). Every right carries the time of
 * the fact it records; a write applies only when it is newer than what is stored (last writer wins per right),
 * so a fetch and webhook events can arrive in any order.
 */
/** The partitions a user may consult, or undefined when the cache holds no complete set younger than maxAge. */
export async function cachedUserPartitions(
  db: Queryable,
  enterpriseNumber: string,
  userSsin: string,
  maxAgeSeconds: number,
): Promise<string[] | undefined> {
  const { rows } = await db.query<{ partition_id: string | null }>(
    `SELECT r.partition_id
     FROM user_partition_rights_loaded l
     LEFT JOIN user_partition_rights r
       ON r.enterprise_number = l.enterprise_number AND r.user_ssin = l.user_ssin AND r.granted
     WHERE l.enterprise_number = $1 AND l.user_ssin = $2
       AND l.fetched_at > now() - make_interval(secs => $3)
     ORDER BY r.partition_id`,
    [enterpriseNumber, userSsin, maxAgeSeconds],
  )
  if (rows.length === 0) return undefined
  return rows.flatMap((row) => (row.partition_id === null ? [] : [row.partition_id]))
}

/** Stores the complete set fetched from the Partition service at `fetchedAt`. */
export async function storeFetchedUserPartitions(
  client: pg.PoolClient,
  enterpriseNumber: string,
  userSsin: string,
  partitions: readonly string[],
  fetchedAt: Date,
): Promise<void> {
  await client.query(
    `INSERT INTO user_partition_rights_loaded (enterprise_number, user_ssin, fetched_at) VALUES ($1, $2, $3)
     ON CONFLICT (enterprise_number, user_ssin) DO UPDATE SET fetched_at = EXCLUDED.fetched_at
       WHERE user_partition_rights_loaded.fetched_at < EXCLUDED.fetched_at`,
    [enterpriseNumber, userSsin, fetchedAt],
  )
  await client.query(
    `INSERT INTO user_partition_rights AS r (enterprise_number, user_ssin, partition_id, granted, changed_at)
     SELECT $1, $2, partition_id, true, $4 FROM unnest($3::text[]) AS partition_id
     ON CONFLICT (enterprise_number, user_ssin, partition_id) DO UPDATE SET granted = true, changed_at = $4
       WHERE r.changed_at < $4`,
    [enterpriseNumber, userSsin, partitions, fetchedAt],
  )
  await client.query(
    `UPDATE user_partition_rights SET granted = false, changed_at = $4
     WHERE enterprise_number = $1 AND user_ssin = $2 AND NOT (partition_id = ANY ($3::text[]))
       AND granted AND changed_at < $4`,
    [enterpriseNumber, userSsin, partitions, fetchedAt],
  )
}

/**
 * A user-right event: grants or revokes one right if the event is newer than what is known of it — the right's
 * own stamp, or the fetch of the user's whole set. Returns whether it changed anything.
 */
export async function applyUserRightEvent(
  client: pg.PoolClient,
  enterpriseNumber: string,
  userSsin: string,
  partitionId: string,
  granted: boolean,
  eventTime: Date,
): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO user_partition_rights AS r (enterprise_number, user_ssin, partition_id, granted, changed_at)
     SELECT $1, $2, $3, $4, $5
     WHERE NOT EXISTS (SELECT 1 FROM user_partition_rights_loaded l
                       WHERE l.enterprise_number = $1 AND l.user_ssin = $2 AND l.fetched_at >= $5)
     ON CONFLICT (enterprise_number, user_ssin, partition_id) DO UPDATE SET granted = $4, changed_at = $5
       WHERE r.changed_at < $5`,
    [enterpriseNumber, userSsin, partitionId, granted, eventTime],
  )
  return result.rowCount === 1
}

/**
 * A partition was removed: every user of the e-Box loses the right on it (also users whose rights are known
 * without that partition, so a delayed "right added" event cannot bring it back). Returns the rights changed.
 */
export async function applyPartitionRemoved(
  client: pg.PoolClient,
  enterpriseNumber: string,
  partitionId: string,
  eventTime: Date,
): Promise<number> {
  const result = await client.query(
    `INSERT INTO user_partition_rights AS r (enterprise_number, user_ssin, partition_id, granted, changed_at)
     SELECT enterprise_number, user_ssin, $2, false, $3
     FROM (SELECT user_ssin, enterprise_number FROM user_partition_rights_loaded WHERE enterprise_number = $1
           UNION
           SELECT user_ssin, enterprise_number FROM user_partition_rights WHERE enterprise_number = $1) AS users
     ON CONFLICT (enterprise_number, user_ssin, partition_id) DO UPDATE SET granted = false, changed_at = $3
       WHERE r.changed_at < $3`,
    [enterpriseNumber, partitionId, eventTime],
  )
  return result.rowCount ?? 0
}
