import { createHash, randomUUID } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'

/** Content is stored in chunks of this size: small enough to stream, large enough to keep queries few. */
export const CHUNK_BYTES = 256 * 1024
/** Chunks fetched per query while reading. */
const CHUNKS_PER_READ = 4

export interface StoredContent {
  contentId: string
  sizeBytes: number
  /** SHA-256 of the bytes, base64url without padding (the contract's digest encoding, §6.4). */
  sha256: string
}

/**
 * Writes `source` as a new content inside the caller's transaction, chunk by chunk, computing size and SHA-256
 * on the way: a whole file is never held in memory. `maxBytes` stops an oversized stream early.
 * If the transaction rolls back, nothing of the content remains.
 */
export async function writeContent(
  client: pg.PoolClient,
  source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  options: { maxBytes?: number; onTooLarge?: () => Error } = {},
): Promise<StoredContent> {
  const contentId = randomUUID()
  const hash = createHash('sha256')
  let size = 0
  let seq = 0
  let pending: Buffer[] = []
  let pendingBytes = 0

  await client.query('INSERT INTO contents (content_id, size_bytes, sha256) VALUES ($1, 0, $2)', [
    contentId,
    '',
  ])
  const flush = async (all: boolean) => {
    while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending)
      const chunk = joined.subarray(0, CHUNK_BYTES)
      const rest = joined.subarray(chunk.length)
      pending = rest.length > 0 ? [rest] : []
      pendingBytes = rest.length
      await client.query('INSERT INTO content_chunks (content_id, seq, data) VALUES ($1, $2, $3)', [
        contentId,
        seq++,
        chunk,
      ])
    }
  }

  await pipeline(
    source as AsyncIterable<Buffer>,
    new Writable({
      write(data: Buffer, _encoding, done) {
        size += data.length
        if (options.maxBytes !== undefined && size > options.maxBytes) {
          done(options.onTooLarge?.() ?? new Error(`content exceeds ${options.maxBytes} bytes`))
          return
        }
        hash.update(data)
        pending.push(data)
        pendingBytes += data.length
        flush(false).then(() => done(), done)
      },
      final(done) {
        flush(true).then(() => done(), done)
      },
    }),
  )
  const sha256 = hash.digest('base64url')
  await client.query('UPDATE contents SET size_bytes = $2, sha256 = $3 WHERE content_id = $1', [
    contentId,
    size,
    sha256,
  ])
  return { contentId, sizeBytes: size, sha256 }
}

/**
 * Streams a stored content a few chunks at a time, each read on a pooled connection that is released between
 * reads, so a slow client never pins a connection. Backpressure comes from the Readable.
 */
export function readContent(pool: pg.Pool, contentId: string): Readable {
  let next = 0
  let done = false
  return new Readable({
    highWaterMark: CHUNK_BYTES * 2,
    async read() {
      if (done) return
      try {
        const { rows } = await pool.query<{ seq: number; data: Buffer }>(
          'SELECT seq, data FROM content_chunks WHERE content_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
          [contentId, next, CHUNKS_PER_READ],
        )
        for (const row of rows) this.push(row.data)
        next += rows.length
        if (rows.length < CHUNKS_PER_READ) {
          done = true
          this.push(null)
        }
      } catch (error) {
        this.destroy(error as Error)
      }
    },
  })
}

/** Writes an in-memory buffer (demo data, reference images); same storage as streamed uploads. */
export function writeBufferContent(client: pg.PoolClient, data: Buffer): Promise<StoredContent> {
  return writeContent(client, Readable.from([data]))
}
