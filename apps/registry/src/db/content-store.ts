import { createHash, randomUUID } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'

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
 * reads, so a slow client never pins a connection. Backpressure comes from the Readable. The chunks travel in
 * COPY's binary format: bytea as its raw bytes, where a SELECT would send (and pg decode) twice as many hex
 * characters — a third of the throughput (issue 10, BENCHMARKS.md).
 */
export function readContent(pool: pg.Pool, contentId: string, sizeBytes?: number): Readable {
  if (!UUID.test(contentId)) throw new Error(`not a content id: ${contentId}`)
  // Known size: the last chunk is known too, so no query is spent learning that there is nothing more.
  const chunkCount = sizeBytes === undefined ? Number.POSITIVE_INFINITY : Math.ceil(sizeBytes / CHUNK_BYTES)
  let next = 0
  let done = false
  return new Readable({
    highWaterMark: CHUNK_BYTES * 2,
    async read() {
      if (done) return
      if (next >= chunkCount) {
        done = true
        this.push(null)
        return
      }
      try {
        const chunks = await readChunks(pool, contentId, next, CHUNKS_PER_READ)
        for (const chunk of chunks) this.push(chunk)
        next += chunks.length
        if (chunks.length < CHUNKS_PER_READ || next >= chunkCount) {
          done = true
          this.push(null)
        }
      } catch (error) {
        this.destroy(error as Error)
      }
    },
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Chunks `from` … `from + count - 1` of a content (fewer at its end), by one binary COPY. */
async function readChunks(pool: pg.Pool, contentId: string, from: number, count: number): Promise<Buffer[]> {
  const client = await pool.connect()
  let failure: Error | undefined
  try {
    // COPY takes no parameters: the id is a checked UUID, the bounds are integers.
    const stream = client.query(
      copyTo(
        `COPY (SELECT data FROM content_chunks WHERE content_id = '${contentId}' AND seq >= ${Math.trunc(from)}
               ORDER BY seq LIMIT ${Math.trunc(count)}) TO STDOUT (FORMAT binary)`,
      ),
    )
    const parts: Buffer[] = []
    for await (const part of stream) parts.push(part as Buffer)
    return parseBinaryCopy(Buffer.concat(parts))
  } catch (error) {
    failure = error as Error
    throw error
  } finally {
    client.release(failure)
  }
}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

/** The one bytea column of each row of a binary COPY (PostgreSQL docs, "Binary Format"), as views of `data`. */
export function parseBinaryCopy(data: Buffer): Buffer[] {
  if (data.length < 19 || !data.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('not a binary COPY')
  let at = 19 + data.readInt32BE(15)
  const rows: Buffer[] = []
  for (;;) {
    const fields = data.readInt16BE(at)
    at += 2
    if (fields === -1) return rows
    if (fields !== 1) throw new Error(`binary COPY row with ${fields} fields`)
    const length = data.readInt32BE(at)
    at += 4
    if (length < 0) throw new Error('null chunk')
    rows.push(data.subarray(at, at + length))
    at += length
  }
}

/** Writes an in-memory buffer (demo data, reference images); same storage as streamed uploads. */
export function writeBufferContent(client: pg.PoolClient, data: Buffer): Promise<StoredContent> {
  return writeContent(client, Readable.from([data]))
}
