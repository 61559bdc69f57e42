import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type pg from 'pg'
import type { StoredContent } from '../db/content-store.ts'
import type { ObjectStore, UploadLimits } from './object-store.ts'

/** A file whose bytes can be read again and whose size and SHA-256 are known (a staged publication part). */
export interface StagedContent {
  sizeBytes: number
  /** SHA-256, base64url (as stored in contents.sha256). */
  sha256: string
  read(): Readable
}

/**
 * Writing a content to the object store, safe against the sweeper (src/content/sweeper.ts) deleting its object,
 * with the bytes moved BEFORE the publication's transaction (no pool connection waits on the network):
 *
 * Before the transaction (`prepareObjectContent`):
 * 1. A claim row (upload key and digest) is committed on the claims pool before anything is written, so objects
 *    of a publication that never commits (rollback, killed process) are found and deleted after the grace period.
 * 2. Unless the digest's object already exists (dedup: no byte is sent), the bytes stream to the upload key and
 *    their SHA-256 is checked against the staged digest; a server-side copy then makes the digest's object.
 * In the transaction (`commit`):
 * 3. A SHARED advisory lock on the digest is taken and kept until commit. The sweeper deletes a digest's object
 *    only under the EXCLUSIVE lock, after seeing no committed contents row naming it. So either the sweeper
 *    finished first (the object is seen missing here and written again, from the upload key or the staged
 *    file), or it waits for this transaction and then sees its row. Publications of the same content never wait
 *    for each other. Normally the transaction's only call to the store is one HEAD.
 * 4. The contents row is inserted; it commits with the publication, when the object is already durable.
 * The upload key is deleted once the digest's object exists (or by the sweeper, with its claim).
 */
export async function prepareObjectContent(
  claims: pg.Pool,
  objects: ObjectStore,
  content: StagedContent,
  limits: UploadLimits,
): Promise<PreparedContent> {
  const claimId = randomUUID()
  const uploadKey = objects.uploadKey(claimId)
  const digestKey = objects.digestKey(content.sha256)
  await claims.query('INSERT INTO content_object_claims (claim_id, upload_key, sha256) VALUES ($1, $2, $3)', [
    claimId,
    uploadKey,
    content.sha256,
  ])
  let uploaded = false
  const upload = async (source: AsyncIterable<Buffer> | NodeJS.ReadableStream) => {
    const { sha256 } = await objects.upload(uploadKey, source, limits)
    if (sha256 !== content.sha256) throw new Error('a staged file changed before its upload')
    uploaded = true
  }
  if (!(await objects.exists(digestKey))) {
    await upload(content.read())
    await objects.copy(uploadKey, digestKey)
  }
  return {
    async commit(client) {
      await lockObjectShared(client, content.sha256)
      if (!(await objects.exists(digestKey))) {
        if (!uploaded) await upload(keepingAlive(client, content.read()))
        await objects.copy(uploadKey, digestKey)
      }
      if (uploaded) await objects.delete(uploadKey).catch(() => {})
      const contentId = randomUUID()
      await client.query(
        `INSERT INTO contents (content_id, size_bytes, sha256, store) VALUES ($1, $2, $3, 's3')`,
        [contentId, content.sizeBytes, content.sha256],
      )
      return { contentId, sizeBytes: content.sizeBytes, sha256: content.sha256 }
    },
  }
}

/** The part of a content's write that runs in the publication's transaction (the contents row, and checks). */
export interface PreparedContent {
  commit(client: pg.PoolClient): Promise<StoredContent>
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
 * In the rare upload inside the transaction (the object was swept between prepare and commit), the transaction
 * sees no statement while the bytes go to the bucket; PostgreSQL would end it as idle
 * (idle_in_transaction_session_timeout). A trivial statement every couple of seconds while bytes move keeps it.
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
