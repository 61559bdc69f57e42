import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { StoredContent } from '../db/content-store.ts'
import type { ObjectStore, UploadLimits } from './object-store.ts'

/**
 * Writing a content to the object store, safe against the sweeper (src/content/sweeper.ts) deleting its object:
 *
 * 1. A claim row (upload key, no digest yet) is committed on the claims pool BEFORE the upload starts, so an
 *    upload whose publication never commits (rollback, killed process) is found and deleted after the grace period.
 * 2. The bytes stream to the upload key; size and SHA-256 are computed on the way.
 * 3. The claim is given the digest (and a fresh timestamp), committed: if the publication does not commit, the
 *    sweeper will look at the digest's object too.
 * 4. In the caller's transaction, a SHARED advisory lock on the digest is taken and kept until commit. The sweeper
 *    deletes a digest's object only under the EXCLUSIVE lock, after seeing no committed contents row naming it.
 *    So either the sweeper finished first (and the object is seen missing below and copied again), or it waits
 *    for this transaction and then sees its row. Publications of the same content never wait for each other.
 * 5. The digest's object is created by a server-side copy unless it exists (dedup); the upload key is deleted.
 * 6. The contents row is inserted; it commits with the publication, when the object is already durable.
 */
export async function writeObjectContent(
  client: pg.PoolClient,
  claims: pg.Pool,
  objects: ObjectStore,
  source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  limits: UploadLimits,
): Promise<StoredContent> {
  const claimId = randomUUID()
  const uploadKey = objects.uploadKey(claimId)
  await claims.query('INSERT INTO content_object_claims (claim_id, upload_key) VALUES ($1, $2)', [
    claimId,
    uploadKey,
  ])
  const { sha256, sizeBytes } = await objects.upload(uploadKey, keepingAlive(client, source), limits)
  await claims.query('UPDATE content_object_claims SET sha256 = $2, claimed_at = now() WHERE claim_id = $1', [
    claimId,
    sha256,
  ])
  await placeObject(client, objects, uploadKey, sha256)
  const contentId = randomUUID()
  await client.query(
    `INSERT INTO contents (content_id, size_bytes, sha256, store) VALUES ($1, $2, $3, 's3')`,
    [contentId, sizeBytes, sha256],
  )
  return { contentId, sizeBytes, sha256 }
}

/**
 * Makes the digest's object exist, from the object at `uploadKey` (already verified to have this digest), under
 * the shared lock of `client`'s transaction (steps 4 and 5 above); the upload key is deleted afterwards, or by
 * the sweeper if that fails.
 */
export async function placeObject(
  client: pg.PoolClient,
  objects: ObjectStore,
  uploadKey: string,
  sha256: string,
): Promise<void> {
  await lockObjectShared(client, sha256)
  const key = objects.digestKey(sha256)
  if (!(await objects.exists(key))) await objects.copy(uploadKey, key)
  await objects.delete(uploadKey).catch(() => {})
}

/** Until the end of `client`'s transaction, the digest's object is not deleted (step 4 above). */
export async function lockObjectShared(client: pg.PoolClient, sha256: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))', [objectLockName(sha256)])
}

/** The advisory lock that orders writers of a digest's object (shared) against its deletion (exclusive). */
export function objectLockName(sha256: string): string {
  return `content-object:${sha256}`
}

/**
 * The caller's transaction sees no statement while the bytes go to the bucket; PostgreSQL would end it as idle
 * (idle_in_transaction_session_timeout) during a long upload that is still moving. A trivial statement every
 * couple of seconds while bytes arrive keeps it; a client that stops sending still runs into the timeout, as with
 * the PostgreSQL store.
 */
async function* keepingAlive(
  client: pg.PoolClient,
  source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
): AsyncGenerator<Buffer> {
  let last = Date.now()
  for await (const chunk of source as AsyncIterable<Buffer>) {
    if (Date.now() - last > KEEPALIVE_MS) {
      last = Date.now()
      await client.query('SELECT 1')
    }
    yield chunk
  }
}

const KEEPALIVE_MS = 2_000
