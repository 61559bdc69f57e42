import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from '../../test/support/registry.ts'
import { CHUNK_BYTES, readContent, writeContent } from './content-store.ts'
import { inTransaction } from './pool.ts'

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
  it.each([0, 1, CHUNK_BYTES, CHUNK_BYTES * 5 + 17])(
    'round-trips %i bytes with their digest',
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
    },
  )

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
