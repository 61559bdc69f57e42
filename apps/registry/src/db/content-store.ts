import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import type { ContentRange } from '../content/range.ts'
import { copyFromInMessages } from './copy-messages.ts'

/** Content is stored in chunks of this size: small enough to stream, large enough to keep queries few. */
export const CHUNK_BYTES = 256 * 1024
/** Chunks per query while reading; also the read buffer's size, so a download holds at most about twice this. */
export const CHUNKS_PER_BATCH = 8

export interface StoredContent {
  contentId: string
  sizeBytes: number
  /** SHA-256 of the bytes, base64url without padding (the contract's digest encoding, §6.4). */
  sha256: string
}

/** What a content must turn out to be, when its size and digest are known before it is written (a staged file). */
export interface ExpectedContent {
  sizeBytes: number
  sha256: string
}

/**
 * Writes `source` as a new content inside the caller's transaction, chunk by chunk, computing size and SHA-256
 * on the way: a whole file is never held in memory. `maxBytes` stops an oversized stream early.
 * With `expected`, the contents row is written with those values at once (no UPDATE afterwards), and the bytes
 * written must hash to them or the call fails. If the transaction rolls back, nothing of the content remains.
 */
export async function writeContent(
  client: pg.PoolClient,
  source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  options: { maxBytes?: number; onTooLarge?: () => Error; expected?: ExpectedContent } = {},
): Promise<StoredContent> {
  const contentId = randomUUID()
  const { expected } = options
  await client.query('INSERT INTO contents (content_id, size_bytes, sha256) VALUES ($1, $2, $3)', [
    contentId,
    expected?.sizeBytes ?? 0,
    expected?.sha256 ?? '',
  ])
  const { sizeBytes, sha256 } = await writeChunks(client, contentId, source, options)
  if (expected) {
    if (sizeBytes !== expected.sizeBytes || sha256 !== expected.sha256) {
      throw new Error('a staged file changed before its commit')
    }
  } else {
    await client.query('UPDATE contents SET size_bytes = $2, sha256 = $3 WHERE content_id = $1', [
      contentId,
      sizeBytes,
      sha256,
    ])
  }
  return { contentId, sizeBytes, sha256 }
}

/**
 * The chunks of an existing contents row, from `source`; its size and SHA-256 (the row is the caller's).
 * One binary COPY: each chunk row is a small header followed by the source's own buffers (the last one cut with
 * `subarray`), so the bytes go to the socket without being copied into chunk-sized buffers or into a Bind
 * message first — at a megabyte, those copies (and the page faults of their fresh allocations) cost more than
 * the network write itself (BENCHMARKS.md, issue 19). Each row is one CopyData message, written to the socket at
 * once (copy-messages.ts).
 */
export async function writeChunks(
  client: pg.PoolClient,
  contentId: string,
  source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
  options: { maxBytes?: number; onTooLarge?: () => Error } = {},
): Promise<{ sizeBytes: number; sha256: string }> {
  const id = uuidBytes(contentId)
  const hash = createHash('sha256')
  let size = 0
  let seq = 0
  const pending: Buffer[] = []
  let pendingBytes = 0

  /** Appends one chunk row to `message`: its header, then exactly `length` bytes taken from the front of `pending`. */
  function row(length: number, message: Buffer[]) {
    message.push(chunkRowHeader(id, seq++, length))
    let left = length
    while (left > 0) {
      const head = pending[0]!
      if (head.length <= left) {
        pending.shift()
        left -= head.length
        message.push(head)
      } else {
        pending[0] = head.subarray(left)
        message.push(head.subarray(0, left))
        left = 0
      }
    }
    pendingBytes -= length
  }

  /** One CopyData message per chunk row; the COPY's header goes with the first row, its end marker with the last. */
  async function* copyData(chunks: AsyncIterable<Buffer>) {
    let message: Buffer[] = [BINARY_COPY_HEADER]
    for await (const data of chunks) {
      size += data.length
      if (options.maxBytes !== undefined && size > options.maxBytes) {
        throw options.onTooLarge?.() ?? new Error(`content exceeds ${options.maxBytes} bytes`)
      }
      hash.update(data)
      pending.push(data)
      pendingBytes += data.length
      // Strictly more than a chunk: the last row waits for the end of the source, to carry the end marker.
      while (pendingBytes > CHUNK_BYTES) {
        row(CHUNK_BYTES, message)
        yield message
        message = []
      }
    }
    if (pendingBytes > 0) row(pendingBytes, message)
    message.push(BINARY_COPY_TRAILER)
    yield message
  }

  await pipeline(
    source as AsyncIterable<Buffer>,
    copyData,
    client.query(
      copyFromInMessages('COPY content_chunks (content_id, seq, data) FROM STDIN (FORMAT binary)'),
    ),
  )
  return { sizeBytes: size, sha256: hash.digest('base64url') }
}

/** PostgreSQL's binary COPY framing: signature, flags, header extension length; the end marker. */
const BINARY_COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)])
const BINARY_COPY_TRAILER = Buffer.from([0xff, 0xff])

/** A content_chunks row's fields up to its data: 3 fields, the uuid (16 bytes), seq (int4), data's length. */
function chunkRowHeader(id: Buffer, seq: number, dataLength: number): Buffer {
  const header = Buffer.allocUnsafe(2 + 4 + 16 + 4 + 4 + 4)
  let at = header.writeInt16BE(3, 0)
  at = header.writeInt32BE(16, at)
  at += id.copy(header, at)
  at = header.writeInt32BE(4, at)
  at = header.writeInt32BE(seq, at)
  header.writeInt32BE(dataLength, at)
  return header
}

function uuidBytes(uuid: string): Buffer {
  if (!UUID.test(uuid)) throw new Error(`not a content id: ${uuid}`)
  return Buffer.from(uuid.replaceAll('-', ''), 'hex')
}

/**
 * Streams a stored content in bounded batches of chunks, each batch one binary COPY on a pooled connection (bytea
 * as its raw bytes, where a SELECT would send twice as many hex characters: issue 10, BENCHMARKS.md). A batch's
 * bytes are pushed as they arrive from the socket, and the next batch is asked for as soon as the consumer has
 * taken the buffer below one batch, so a query is in flight while the previous batch is still being sent.
 *
 * Trade-off: a batch is read off its connection at the database's pace, not the client's; the connection is back
 * in the pool within milliseconds, so a slow client never pins one of the DB_POOL_MAX connections nor runs into
 * the statement timeout, as one COPY of the whole content with backpressure would. The price is memory: at most
 * about two batches (the buffer plus the batch in flight) per download.
 */
export function readContent(
  pool: pg.Pool,
  contentId: string,
  sizeBytes?: number,
  range?: ContentRange,
): Readable {
  if (!UUID.test(contentId)) throw new Error(`not a content id: ${contentId}`)
  if (range && sizeBytes === undefined) throw new Error('a range read needs the content size')
  // Known size: the last chunk is known too, so no query is spent learning that there is nothing more. A range
  // reads only the chunks it overlaps, and drops the bytes of the first and last chunk outside it.
  const chunkCount = range
    ? Math.floor(range.end / CHUNK_BYTES) + 1
    : sizeBytes === undefined
      ? Number.POSITIVE_INFINITY
      : Math.ceil(sizeBytes / CHUNK_BYTES)
  let next = range ? Math.floor(range.start / CHUNK_BYTES) : 0
  const skip = range ? range.start - next * CHUNK_BYTES : 0
  const wanted = range ? range.end - range.start + 1 : sizeBytes
  /** Bytes read from the chunks, and bytes passed on (the range's). */
  let read = 0
  let bytes = 0
  let batch: Batch | undefined
  let ended = false

  const finish = () => {
    ended = true
    if (wanted !== undefined && bytes !== wanted)
      stream.destroy(new ContentSizeMismatch(`content ${contentId} has ${bytes} bytes, not ${wanted}`))
    else stream.push(null)
  }
  const take = (part: Buffer): Buffer => {
    const from = read
    read += part.length
    if (!range) return part
    return part.subarray(Math.max(0, skip - from), Math.max(0, skip + wanted! - from))
  }
  const fetchBatch = () => {
    if (next >= chunkCount) return finish()
    const count = Math.min(CHUNKS_PER_BATCH, chunkCount - next)
    const current = copyChunks(pool, contentId, next, count, (chunkBytes) => {
      const part = take(chunkBytes)
      bytes += part.length
      // A consumer may destroy the stream from within a push.
      if (!stream.destroyed && part.length > 0) stream.push(part)
    })
    batch = current
    current.done.then(
      (rows) => {
        batch = undefined
        if (stream.destroyed) return
        next += rows
        if (rows < count || next >= chunkCount) finish()
        // Otherwise wait for read(), unless the consumer already took the buffer below one batch.
        else if (stream.readableLength < stream.readableHighWaterMark) fetchBatch()
      },
      (error: Error) => {
        batch = undefined
        stream.destroy(error)
      },
    )
  }
  const stream = new Readable({
    highWaterMark: CHUNKS_PER_BATCH * CHUNK_BYTES,
    read() {
      if (!batch && !ended) fetchBatch()
    },
    destroy(error, callback) {
      batch?.abort()
      callback(error)
    },
  })
  return stream
}

/** The chunks of a content do not add up to its recorded size. */
export class ContentSizeMismatch extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface Batch {
  /** The number of chunks read. */
  done: Promise<number>
  abort(): void
}

/**
 * Chunks `from` … `from + count - 1` of a content (fewer at its end) by one binary COPY, their bytes handed to
 * `onBytes` as they arrive. The connection is released however the batch ends; one left mid-COPY (an error, or
 * `abort()` because the download was dropped) is closed rather than returned to the pool.
 */
function copyChunks(
  pool: pg.Pool,
  contentId: string,
  from: number,
  count: number,
  onBytes: (part: Buffer) => void,
): Batch {
  let aborted = false
  let stop: (error: Error) => void = () => {}
  const done = (async () => {
    const client = await pool.connect()
    let failure: Error | undefined
    // A checked-out client has no listener of the pool's: a lost connection would otherwise crash the process.
    const onError = (error: Error) => {
      failure ??= error
    }
    client.on('error', onError)
    try {
      if (aborted) return 0
      // COPY takes no parameters: the id is a checked UUID, the bounds are integers.
      const copy = client.query(
        copyTo(
          `COPY (SELECT data FROM content_chunks WHERE content_id = '${contentId}' AND seq >= ${Math.trunc(from)}
                 ORDER BY seq LIMIT ${Math.trunc(count)}) TO STDOUT (FORMAT binary)`,
        ),
      )
      const rows = new BinaryCopyReader(onBytes)
      await new Promise<void>((resolve, reject) => {
        let stopped = false
        stop = (error) => {
          stopped = true
          failure ??= error
          reject(error)
        }
        // No backpressure within a batch: it is bounded, and read at the database's pace (see readContent).
        copy.on('data', (part: Buffer) => {
          if (stopped) return
          try {
            rows.write(part)
          } catch (error) {
            stop(error as Error)
          }
        })
        // Stays attached: closing a connection mid-COPY errors the COPY stream too.
        copy.on('error', (error) => stop(error))
        copy.on('end', () => {
          if (!stopped) resolve()
        })
      })
      return rows.end()
    } finally {
      client.removeListener('error', onError)
      client.release(failure)
    }
  })()
  return {
    done,
    abort() {
      aborted = true
      stop(new Error('content read aborted'))
    },
  }
}

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')

/**
 * Reads the one bytea column of each row of a binary COPY (PostgreSQL docs, "Binary Format") as its bytes arrive,
 * in pieces split anywhere: the row data is handed on as views of the pieces, never copied.
 */
export class BinaryCopyReader {
  private state: 'header' | 'extension' | 'row' | 'length' | 'data' | 'done' = 'header'
  /** The start of a header or length field split across pieces. */
  private pending: Buffer | undefined
  /** Bytes still to come of the header extension or of the current row's data. */
  private remaining = 0
  private rows = 0

  constructor(private readonly onBytes: (part: Buffer) => void) {}

  write(piece: Buffer): void {
    let data = piece
    if (this.pending) {
      const missing = this.fieldBytes() - this.pending.length
      if (data.length < missing) {
        this.pending = Buffer.concat([this.pending, data])
        return
      }
      const field = Buffer.concat([this.pending, data.subarray(0, missing)])
      this.pending = undefined
      this.field(field)
      data = data.subarray(missing)
    }
    while (data.length > 0) {
      if (this.state === 'data' || this.state === 'extension') {
        const part = data.subarray(0, this.remaining)
        this.remaining -= part.length
        data = data.subarray(part.length)
        if (this.state === 'data' && part.length > 0) this.onBytes(part)
        if (this.remaining === 0) this.state = 'row'
        continue
      }
      const size = this.fieldBytes()
      if (data.length < size) {
        this.pending = Buffer.from(data)
        return
      }
      this.field(data.subarray(0, size))
      data = data.subarray(size)
    }
  }

  /** The number of rows, once the whole COPY has been written. */
  end(): number {
    if (this.state !== 'done') throw new Error('binary COPY cut short')
    return this.rows
  }

  private fieldBytes(): number {
    if (this.state === 'done') throw new Error('data after the end of a binary COPY')
    return this.state === 'header' ? 19 : this.state === 'row' ? 2 : 4
  }

  private field(field: Buffer): void {
    if (this.state === 'header') {
      if (!field.subarray(0, 11).equals(COPY_SIGNATURE)) throw new Error('not a binary COPY')
      this.remaining = field.readInt32BE(15)
      this.state = this.remaining > 0 ? 'extension' : 'row'
    } else if (this.state === 'row') {
      const fields = field.readInt16BE(0)
      if (fields === -1) this.state = 'done'
      else if (fields !== 1) throw new Error(`binary COPY row with ${fields} fields`)
      else this.state = 'length'
    } else {
      const length = field.readInt32BE(0)
      if (length < 0) throw new Error('null chunk')
      this.remaining = length
      this.rows++
      this.state = length > 0 ? 'data' : 'row'
    }
  }
}

/** Writes an in-memory buffer (demo data, reference images); same storage as streamed uploads. */
export function writeBufferContent(client: pg.PoolClient, data: Buffer): Promise<StoredContent> {
  return writeContent(client, Readable.from([data]))
}
