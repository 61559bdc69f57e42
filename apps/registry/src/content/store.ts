import type { Readable } from 'node:stream'
import { RegistryError } from '@ebox/contract'
import type pg from 'pg'
import { readContent, writeContent } from '../db/content-store.ts'
import { createPool } from '../db/pool.ts'
import type { ContentStoreConfig, ContentStoreKind } from './config.ts'
import { ObjectStore, type UploadLimits } from './object-store.ts'
import type { ContentRange } from './range.ts'
import { type PreparedContent, prepareObjectContent, type StagedContent } from './s3-store.ts'

export type { StoredContent } from '../db/content-store.ts'
export type { PreparedContent, StagedContent } from './s3-store.ts'

/**
 * Attachment content, wherever its bytes are. New content goes where CONTENT_STORE says; a content is read from
 * where its contents row says (`store`), so both kinds are served during and after `registry content migrate`.
 */
export interface ContentStore {
  /** Where `write` puts new content. */
  readonly kind: ContentStoreKind
  /** The bucket, when S3_BUCKET is set (the sweeper and the migration need it). */
  readonly objects: ObjectStore | undefined
  /**
   * Stores a staged file as a new content, in two steps. `prepare` runs before the publication's transaction and
   * moves the bytes where the store can put them without a database connection (the object store: uploaded and
   * durable); the `commit` it returns runs in the transaction and writes the contents row, which commits with it
   * (the PostgreSQL store writes its chunks there). Streams: a whole file is never in memory.
   */
  prepare(content: StagedContent, limits?: UploadLimits): Promise<PreparedContent>
  /**
   * The bytes of a content (or one range of them), as a stream paced by its consumer. Rejects before any byte
   * when the store holding them cannot be reached (RegistryError 503 with Retry-After).
   */
  open(contentId: string, sizeBytes: number, range?: ContentRange): Promise<Readable>
  close(): Promise<void>
}

/**
 * The store CONTENT_STORE names. With the object store, claims (content_object_claims) are written on a pool of
 * their own: they must commit before an upload, outside the publication's transaction, and a publication that
 * holds a connection of `pool` must never wait for a second one of it.
 */
export function createContentStore(
  config: ContentStoreConfig,
  pool: pg.Pool,
  databaseUrl: string,
): ContentStore {
  const objects = config.s3 ? new ObjectStore(config.s3) : undefined
  const claims = objects
    ? createPool({ connectionString: databaseUrl, max: 4, statementTimeoutMs: 10_000 })
    : undefined
  return {
    kind: config.kind,
    objects,
    async prepare(content, limits = {}) {
      if (config.kind === 's3' && objects && claims)
        return prepareObjectContent(claims, objects, content, limits)
      return {
        // The staged size and digest go into the contents row at once; writeContent checks the bytes against them.
        commit: (client) => writeContent(client, content.read(), { ...limits, expected: content }),
      }
    },
    async open(contentId, sizeBytes, range) {
      const { rows } = await pool.query<{ store: ContentStoreKind; sha256: string }>(
        'SELECT store, sha256 FROM contents WHERE content_id = $1',
        [contentId],
      )
      const row = rows[0]
      if (!row) throw new Error(`content ${contentId} does not exist`)
      if (row.store === 'postgres') return readContent(pool, contentId, sizeBytes, range)
      if (!objects) {
        throw new RegistryError(
          'SERVICE_UNAVAILABLE',
          'The attachment is in the object store, which this instance is not configured for (S3_BUCKET).',
        )
      }
      return objects.get(objects.digestKey(row.sha256), sizeBytes, range)
    },
    async close() {
      objects?.close()
      await claims?.end()
    },
  }
}
