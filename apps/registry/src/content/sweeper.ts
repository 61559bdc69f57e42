import type pg from 'pg'
import { inTransaction } from '../db/pool.ts'
import type { ObjectStore } from './object-store.ts'
import { objectLockName } from './s3-store.ts'

export interface SweepReport {
  /** Claims older than the grace period settled (and deleted). */
  settled: number
  /** Claims whose content-addressed object was deleted (or found gone) because no contents row names it. */
  deleted: number
  /** Claims put off by one grace period: a publication of the same digest holds its lock right now. */
  busy: number
}

/**
 * Settles the claims (content_object_claims) older than `graceSeconds`, at most `limit` per call: deletes the
 * claim's upload key (an upload is never referenced) and, when no contents row names its digest any more, the
 * digest's object — under the digest's exclusive advisory lock, which a publication placing the same object holds
 * shared until it commits (src/content/s3-store.ts). Claims are taken with SKIP LOCKED: replicas share the work.
 *
 * The grace period must outlast the longest publication (HTTP_REQUEST_TIMEOUT_MS): an upload's claim is only
 * refreshed once its digest is known. Objects follow their rows: an object goes once the last contents row naming
 * it is deleted or moved back to PostgreSQL (triggers of migration 0009), never while one names it.
 */
export async function sweepContentObjects(
  pool: pg.Pool,
  objects: ObjectStore,
  now: Date,
  graceSeconds: number,
  limit = 200,
): Promise<SweepReport> {
  const report: SweepReport = { settled: 0, deleted: 0, busy: 0 }
  for (let index = 0; index < limit; index++) {
    const outcome = await inTransaction(pool, async (client) => {
      const { rows } = await client.query<{
        claim_id: string
        upload_key: string | null
        sha256: string | null
      }>(
        `SELECT claim_id, upload_key, sha256 FROM content_object_claims
          WHERE claimed_at < $1::timestamptz - make_interval(secs => $2::int)
          ORDER BY claimed_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now, graceSeconds],
      )
      const claim = rows[0]
      if (!claim) return 'none'
      let deleted = false
      if (claim.sha256 !== null) {
        const locked = await client.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
          [objectLockName(claim.sha256)],
        )
        if (!locked.rows[0]?.locked) {
          // A publication of this digest is placing its object: look again one grace period later.
          await client.query('UPDATE content_object_claims SET claimed_at = $2 WHERE claim_id = $1', [
            claim.claim_id,
            now,
          ])
          return 'busy'
        }
        const named = await client.query(
          `SELECT 1 FROM contents WHERE sha256 = $1 AND store = 's3' LIMIT 1`,
          [claim.sha256],
        )
        if (named.rowCount === 0) {
          await objects.delete(objects.digestKey(claim.sha256))
          deleted = true
        }
      }
      if (claim.upload_key !== null) await objects.delete(claim.upload_key)
      await client.query('DELETE FROM content_object_claims WHERE claim_id = $1', [claim.claim_id])
      return deleted ? 'deleted' : 'settled'
    })
    if (outcome === 'none') break
    if (outcome === 'busy') {
      report.busy++
      continue
    }
    report.settled++
    if (outcome === 'deleted') report.deleted++
  }
  return report
}
