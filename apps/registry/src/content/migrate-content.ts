import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { ContentSizeMismatch, readContent, writeChunks } from '../db/content-store.ts'
import { inTransaction } from '../db/pool.ts'
import type { ContentStoreKind } from './config.ts'
import type { ObjectStore } from './object-store.ts'
import { lockObjectShared, placeObject } from './s3-store.ts'

export interface MigrationReport {
  /** Contents switched to the target store by this run. */
  moved: number
  bytes: number
  /** Contents whose bytes did not match their recorded size or SHA-256: left where they are, and named. */
  mismatched: string[]
}

/**
 * `registry content migrate --to s3|postgres`: moves every content not yet in `to`, one content per transaction,
 * each one verified (size and SHA-256 of the bytes actually read against its row) before its row switches.
 * Resumable and idempotent: a run picks up the rows still in the other store; an object already in the bucket
 * is not uploaded again (content-addressed, verified when it was written). Moving to PostgreSQL leaves the objects
 * to the worker's sweeper (the row's move records a claim, migration 0009), so a rollback of this run loses
 * nothing. `log` receives a progress line every `progressEveryMs` and a last one.
 */
export async function migrateContents(
  pool: pg.Pool,
  objects: ObjectStore,
  to: ContentStoreKind,
  log: (line: string) => void,
  progressEveryMs = 2_000,
): Promise<MigrationReport> {
  const from: ContentStoreKind = to === 's3' ? 'postgres' : 's3'
  const { rows: counted } = await pool.query<{ n: number; bytes: number }>(
    'SELECT count(*)::int AS n, coalesce(sum(size_bytes), 0)::float8 AS bytes FROM contents WHERE store = $1',
    [from],
  )
  const total = counted[0]?.n ?? 0
  const report: MigrationReport = { moved: 0, bytes: 0, mismatched: [] }
  const line = () =>
    `content migrate --to ${to}: ${report.moved}/${total} contents moved, ${megabytes(report.bytes)} of ` +
    `${megabytes(counted[0]?.bytes ?? 0)}${report.mismatched.length ? `, ${report.mismatched.length} mismatched` : ''}`
  let lastLine = Date.now()
  let after = '00000000-0000-0000-0000-000000000000'
  while (true) {
    const { rows } = await pool.query<{ content_id: string; size_bytes: string; sha256: string }>(
      `SELECT content_id, size_bytes, sha256 FROM contents WHERE store = $1 AND content_id > $2
        ORDER BY content_id LIMIT 100`,
      [from, after],
    )
    if (rows.length === 0) break
    for (const row of rows) {
      after = row.content_id
      const content = { contentId: row.content_id, sizeBytes: Number(row.size_bytes), sha256: row.sha256 }
      const moved =
        to === 's3' ? await toObjectStore(pool, objects, content) : await toPostgres(pool, objects, content)
      if (moved === 'moved') {
        report.moved++
        report.bytes += content.sizeBytes
      } else if (moved === 'mismatch') report.mismatched.push(content.contentId)
      if (Date.now() - lastLine >= progressEveryMs) {
        lastLine = Date.now()
        log(line())
      }
    }
  }
  log(line())
  return report
}

interface Content {
  contentId: string
  sizeBytes: number
  sha256: string
}

/**
 * 'mismatch': the bytes read are not the recorded ones (nothing changed); 'later': the object was swept while
 * this run looked at it, the next run uploads it.
 */
type Outcome = 'moved' | 'mismatch' | 'later'

async function toObjectStore(pool: pg.Pool, objects: ObjectStore, content: Content): Promise<Outcome> {
  const claimId = randomUUID()
  const uploadKey = objects.uploadKey(claimId)
  let uploaded = false
  if (!(await objects.exists(objects.digestKey(content.sha256)))) {
    // As a publication does (s3-store.ts): the claim commits before the upload, and gets the digest after it.
    await pool.query('INSERT INTO content_object_claims (claim_id, upload_key) VALUES ($1, $2)', [
      claimId,
      uploadKey,
    ])
    const read = await objects
      .upload(uploadKey, readContent(pool, content.contentId, content.sizeBytes))
      .catch((error: unknown) => {
        if (error instanceof ContentSizeMismatch) return undefined
        throw error
      })
    if (!read) return 'mismatch'
    await pool.query('UPDATE content_object_claims SET sha256 = $2, claimed_at = now() WHERE claim_id = $1', [
      claimId,
      read.sha256,
    ])
    if (read.sha256 !== content.sha256 || read.sizeBytes !== content.sizeBytes) return 'mismatch'
    uploaded = true
  }
  return inTransaction(pool, async (client) => {
    if (uploaded) await placeObject(client, objects, uploadKey, content.sha256)
    else {
      // The object was there before: under the shared lock it stays, or it was swept meanwhile (the next run
      // uploads it).
      await lockObjectShared(client, content.sha256)
      if (!(await objects.exists(objects.digestKey(content.sha256)))) return 'later'
    }
    const switched = await client.query(
      `UPDATE contents SET store = 's3' WHERE content_id = $1 AND store = 'postgres'`,
      [content.contentId],
    )
    if (switched.rowCount === 1) {
      await client.query('DELETE FROM content_chunks WHERE content_id = $1', [content.contentId])
    }
    return 'moved'
  })
}

async function toPostgres(pool: pg.Pool, objects: ObjectStore, content: Content): Promise<Outcome> {
  return inTransaction(pool, async (client) => {
    const locked = await client.query(
      `SELECT 1 FROM contents WHERE content_id = $1 AND store = 's3' FOR UPDATE`,
      [content.contentId],
    )
    if (locked.rowCount === 0) return 'later' // moved meanwhile
    await client.query('DELETE FROM content_chunks WHERE content_id = $1', [content.contentId])
    const source = await objects.get(objects.digestKey(content.sha256), content.sizeBytes)
    const written = await writeChunks(client, content.contentId, source)
    if (written.sha256 !== content.sha256 || written.sizeBytes !== content.sizeBytes) {
      throw new MismatchError()
    }
    await client.query(`UPDATE contents SET store = 'postgres' WHERE content_id = $1`, [content.contentId])
    return 'moved' as const
  }).catch((error): Outcome => {
    if (error instanceof MismatchError) return 'mismatch'
    throw error
  })
}

class MismatchError extends Error {}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
