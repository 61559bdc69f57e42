import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../../test/support/publication.ts'
import { startTestRegistry, type TestRegistry } from '../../test/support/registry.ts'
import {
  BinaryCopyReader,
  CHUNK_BYTES,
  CHUNKS_PER_BATCH,
  readContent,
  writeContent,
} from './content-store.ts'
import { createPool, inTransaction } from './pool.ts'

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
})
afterAll(() => registry.close())

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

describe('content store', () => {
  it.each([0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, CHUNK_BYTES * 2, CHUNK_BYTES * 5 + 17])(
    'round-trips %i bytes with their digest, in full chunks but the last',
    async (size) => {
      const data = randomBytes(size)
      // Arrives in uneven pieces, as a network stream would.
      const pieces = [] as Buffer[]
      for (let at = 0; at < size; at += 70_001) pieces.push(data.subarray(at, at + 70_001))
      const stored = await inTransaction(registry.pool, (client) =>
        writeContent(client, Readable.from(pieces)),
      )
      expect(stored.sizeBytes).toBe(size)
      expect(stored.sha256).toBe(createHash('sha256').update(data).digest('base64url'))
      expect((await collect(readContent(registry.pool, stored.contentId))).equals(data)).toBe(true)
      // Given its size, the reader stops at the last chunk without asking for more.
      expect((await collect(readContent(registry.pool, stored.contentId, size))).equals(data)).toBe(true)
      const { rows } = await registry.pool.query<{ seq: number; length: number }>(
        'SELECT seq, length(data) AS length FROM content_chunks WHERE content_id = $1 ORDER BY seq',
        [stored.contentId],
      )
      const lengths = Array.from({ length: Math.ceil(size / CHUNK_BYTES) }, (_, seq) =>
        Math.min(CHUNK_BYTES, size - seq * CHUNK_BYTES),
      )
      expect(rows).toEqual(lengths.map((length, seq) => ({ seq, length })))
    },
  )

  it('sends each chunk row as one CopyData message in one socket write', async () => {
    const data = randomBytes(CHUNK_BYTES * 3 + 17)
    const pieces = [] as Buffer[]
    for (let at = 0; at < data.length; at += 70_001) pieces.push(data.subarray(at, at + 70_001))
    const client = await registry.pool.connect()
    const socket = (client as unknown as { connection: { stream: SocketWrites } }).connection.stream
    const writes: Buffer[] = []
    const { _write: write, _writev: writev } = socket
    socket._write = function (chunk, encoding, done) {
      writes.push(chunk)
      write.call(this, chunk, encoding, done)
    }
    socket._writev = function (chunks, done) {
      writes.push(Buffer.concat(chunks.map(({ chunk }) => chunk)))
      writev.call(this, chunks, done)
    }
    try {
      await client.query('BEGIN')
      writes.length = 0
      await writeContent(client, Readable.from(pieces))
    } finally {
      Object.assign(socket, { _write: write, _writev: writev })
      await client.query('ROLLBACK')
      client.release()
    }
    // Message types per socket write: whole messages only, the data rows one CopyData message each.
    const messages = writes.map(messageTypes)
    const copyData = messages.flat().filter((type) => type === 'd')
    expect(copyData).toHaveLength(4)
    expect(messages.filter((types) => types.includes('d'))).toEqual([['d'], ['d'], ['d'], ['d']])
    expect(messages.flat()).toContain('c') // CopyDone
  })

  it('writes the expected size and digest at once, and refuses bytes that do not match them', async () => {
    const data = randomBytes(CHUNK_BYTES + 3)
    const stored = await inTransaction(registry.pool, (client) =>
      writeContent(client, Readable.from([data]), {
        expected: { sizeBytes: data.length, sha256: sha256(data) },
      }),
    )
    const { rows } = await registry.pool.query(
      'SELECT size_bytes::int AS "sizeBytes", sha256 FROM contents WHERE content_id = $1',
      [stored.contentId],
    )
    expect(rows).toEqual([{ sizeBytes: data.length, sha256: sha256(data) }])

    const before = await registry.pool.query('SELECT count(*)::int AS n FROM contents')
    const changed = Buffer.from(data)
    changed.writeUInt8(changed.readUInt8(CHUNK_BYTES) ^ 1, CHUNK_BYTES)
    await expect(
      inTransaction(registry.pool, (client) =>
        writeContent(client, Readable.from([changed]), {
          expected: { sizeBytes: data.length, sha256: sha256(data) },
        }),
      ),
    ).rejects.toThrow('a staged file changed before its commit')
    const after = await registry.pool.query('SELECT count(*)::int AS n FROM contents')
    expect(after.rows[0].n).toBe(before.rows[0].n)
  })

  it('leaves nothing behind when the transaction fails', async () => {
    const before = await registry.pool.query('SELECT count(*)::int AS n FROM content_chunks')
    await expect(
      inTransaction(registry.pool, async (client) => {
        await writeContent(client, Readable.from([randomBytes(CHUNK_BYTES * 2)]))
        throw new Error('client went away')
      }),
    ).rejects.toThrow('client went away')
    const after = await registry.pool.query('SELECT count(*)::int AS n FROM content_chunks')
    expect(after.rows[0].n).toBe(before.rows[0].n)
  })

  it('stops a stream over the size limit', async () => {
    await expect(
      inTransaction(registry.pool, (client) =>
        writeContent(client, Readable.from([randomBytes(1000), randomBytes(1000)]), {
          maxBytes: 1500,
          onTooLarge: () => new Error('too large'),
        }),
      ),
    ).rejects.toThrow('too large')
  })
})

const BATCH_BYTES = CHUNKS_PER_BATCH * CHUNK_BYTES
function sha256(data: Buffer) {
  return createHash('sha256').update(data).digest('base64url')
}

type SocketWrites = Pick<Socket, '_write' | '_writev'> & {
  _writev: NonNullable<Socket['_writev']>
}

/** The type bytes of the frontend messages one socket write carries; it must end on a message boundary. */
function messageTypes(write: Buffer): string[] {
  const types: string[] = []
  let at = 0
  while (at < write.length) {
    types.push(String.fromCharCode(write[at]!))
    at += 1 + write.readUInt32BE(at + 1)
  }
  expect(at).toBe(write.length)
  return types
}

async function store(data: Buffer) {
  return inTransaction(registry.pool, (client) => writeContent(client, Readable.from([data])))
}

/** A pool of its own, to count its connections; its sessions carry `name` in pg_stat_activity. */
function ownPool(name: string, options: pg.PoolConfig = {}) {
  return new pg.Pool({
    connectionString: registry.config.databaseUrl,
    max: 2,
    application_name: name,
    ...options,
  })
}

/** Its connections that are checked out of the pool, or busy at the server. */
async function busyConnections(pool: pg.Pool, name: string): Promise<number> {
  const { rows } = await registry.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`,
    [name],
  )
  return pool.totalCount - pool.idleCount + rows[0]!.n
}

describe('content reads in batches', () => {
  // Three batches and a short one, exactly two (an unknown size then costs one empty batch), one byte short of one.
  it.each([BATCH_BYTES * 3 + CHUNK_BYTES + 17, BATCH_BYTES * 2, BATCH_BYTES - 1])(
    'reads %i bytes exactly, with or without the size',
    async (size) => {
      const data = randomBytes(size)
      const stored = await store(data)
      for (const read of [
        readContent(registry.pool, stored.contentId),
        readContent(registry.pool, stored.contentId, size),
      ]) {
        const bytes = await collect(read)
        expect(bytes.length).toBe(size)
        expect(sha256(bytes)).toBe(stored.sha256)
        expect(bytes.equals(data)).toBe(true)
      }
    },
  )

  it('holds at most about two batches for a slow consumer, and still reads every byte', async () => {
    const data = randomBytes(BATCH_BYTES * 4 + 5)
    const stored = await store(data)
    const stream = readContent(registry.pool, stored.contentId, data.length)
    const parts: Buffer[] = []
    let mostBuffered = 0
    await pipeline(
      stream,
      new Writable({
        highWaterMark: 1,
        write(part: Buffer, _encoding, done) {
          mostBuffered = Math.max(mostBuffered, stream.readableLength)
          parts.push(part)
          setImmediate(done)
        },
      }),
    )
    expect(Buffer.concat(parts).equals(data)).toBe(true)
    expect(mostBuffered).toBeLessThanOrEqual(2 * BATCH_BYTES)
  })

  it('fails when the stored content does not have the size given', async () => {
    const data = randomBytes(CHUNK_BYTES + 10)
    const stored = await store(data)
    await expect(collect(readContent(registry.pool, stored.contentId, data.length + 1))).rejects.toThrow(
      `has ${data.length} bytes, not ${data.length + 1}`,
    )
    await expect(collect(readContent(registry.pool, stored.contentId, data.length - 1))).rejects.toThrow(
      `has ${data.length} bytes`,
    )
  })

  it('refuses an id that is not a content id', () => {
    expect(() => readContent(registry.pool, "x' OR true --")).toThrow('not a content id')
  })

  it('releases its connection when destroyed mid-read, and the pool goes on serving', async () => {
    const data = randomBytes(BATCH_BYTES * 3)
    const stored = await store(data)
    const name = `content-destroy-${randomUUID()}`
    const pool = ownPool(name)
    try {
      // After the first bytes.
      for await (const _ of readContent(pool, stored.contentId, data.length)) break
      await eventually(async () => (await busyConnections(pool, name)) === 0)
      // Before a connection is even checked out.
      const early = readContent(pool, stored.contentId)
      early.read(0)
      early.destroy()
      await eventually(async () => (await busyConnections(pool, name)) === 0)
      // Twice as many reads as connections, each dropped at once.
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for await (const _ of readContent(pool, stored.contentId)) break
        }),
      )
      await eventually(async () => (await busyConnections(pool, name)) === 0)
      expect((await collect(readContent(pool, stored.contentId, data.length))).equals(data)).toBe(true)
      expect(pool.waitingCount).toBe(0)
    } finally {
      await pool.end()
    }
  })

  it('gives its connection up at once when destroyed while its query runs', async () => {
    const stored = await store(randomBytes(CHUNK_BYTES))
    const name = `content-stuck-${randomUUID()}`
    const pool = ownPool(name)
    const locker = await registry.pool.connect()
    try {
      // The COPY waits for this lock: a query in flight, for as long as the test wants.
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE content_chunks IN ACCESS EXCLUSIVE MODE')
      const stream = readContent(pool, stored.contentId)
      stream.resume()
      await eventually(async () => await waitingForLock(name))
      stream.destroy()
      // Not checked out any more although its query is still waiting: the connection was closed, not drained.
      await eventually(async () => pool.totalCount - pool.idleCount === 0)
      expect(await waitingForLock(name)).toBe(true)
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
    }
    await eventually(async () => (await busyConnections(pool, name)) === 0)
    await pool.end()
  })

  it('destroys the stream when its query fails, and releases the connection', async () => {
    const stored = await store(randomBytes(CHUNK_BYTES * 2))
    const name = `content-failure-${randomUUID()}`
    // Sessions that cannot see the table: the COPY itself fails at the server.
    const pool = ownPool(name, { options: '-c search_path=pg_catalog' })
    try {
      await expect(collect(readContent(pool, stored.contentId))).rejects.toThrow(/content_chunks/)
      await eventually(async () => (await busyConnections(pool, name)) === 0)
    } finally {
      await pool.end()
    }
  })

  it('destroys the stream when its connection is lost, and the process survives', async () => {
    const stored = await store(randomBytes(CHUNK_BYTES))
    const name = `content-lost-${randomUUID()}`
    // A TCP relay to the server, cut while the COPY runs: the socket closes with no word from PostgreSQL.
    const server = new URL(registry.config.databaseUrl)
    const sockets = new Set<Socket>()
    const relay = createServer((downstream) => {
      const upstream = connect(Number(server.port || 5432), server.hostname)
      downstream.pipe(upstream).pipe(downstream)
      for (const socket of [downstream, upstream]) {
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => sockets.delete(socket))
      }
    })
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
    const relayed = new URL(server)
    relayed.host = `127.0.0.1:${(relay.address() as AddressInfo).port}`
    const pool = createPool({
      connectionString: relayed.href,
      max: 2,
      statementTimeoutMs: 10_000,
      applicationName: name,
    })
    const locker = await registry.pool.connect()
    try {
      await locker.query('BEGIN')
      await locker.query('LOCK TABLE content_chunks IN ACCESS EXCLUSIVE MODE')
      const read = collect(readContent(pool, stored.contentId))
      read.catch(() => {})
      await eventually(async () => await waitingForLock(name))
      for (const socket of sockets) socket.destroy()
      await expect(read).rejects.toThrow(/terminated/)
      await eventually(async () => pool.totalCount === 0)
    } finally {
      await locker.query('ROLLBACK')
      locker.release()
      await pool.end()
      relay.close()
    }
  })
})

/** Whether a session named `name` waits for a lock. */
async function waitingForLock(name: string): Promise<boolean> {
  const { rows } = await registry.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
    [name],
  )
  return rows[0]!.n > 0
}

describe('binary COPY reader', () => {
  it('reads real COPY output split at every position', async () => {
    const rows = [Buffer.alloc(0), Buffer.from([1]), randomBytes(5), randomBytes(300)]
    const client = await registry.pool.connect()
    let copy: Buffer
    try {
      const values = rows.map((row) => `('\\x${row.toString('hex')}'::bytea)`).join(', ')
      const parts: Buffer[] = []
      for await (const part of client.query(copyTo(`COPY (VALUES ${values}) TO STDOUT (FORMAT binary)`)))
        parts.push(part as Buffer)
      copy = Buffer.concat(parts)
    } finally {
      client.release()
    }
    const expected = Buffer.concat(rows)
    const read = (pieces: Buffer[]) => {
      const out: Buffer[] = []
      const reader = new BinaryCopyReader((part) => out.push(Buffer.from(part)))
      for (const piece of pieces) reader.write(piece)
      return { rows: reader.end(), bytes: Buffer.concat(out) }
    }
    for (let at = 0; at <= copy.length; at++) {
      for (const cut of [at, Math.min(at + 1, copy.length), Math.min(at + 7, copy.length)]) {
        const pieces = [copy.subarray(0, at), copy.subarray(at, cut), copy.subarray(cut)]
        expect(read(pieces)).toEqual({ rows: rows.length, bytes: expected })
      }
    }
    const byteByByte = Array.from(copy, (byte) => Buffer.from([byte]))
    expect(read(byteByByte)).toEqual({ rows: rows.length, bytes: expected })
    expect(() => read([copy.subarray(0, copy.length - 2)])).toThrow('cut short')
    expect(() => read([Buffer.from('not a copy at all, no no')])).toThrow('not a binary COPY')
  })
})
