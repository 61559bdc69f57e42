import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStagingArea, type StagingLimits } from '../src/services/publication/staging.ts'

/** The staging area on its own: where bytes go (memory or disk), the budgets, and that nothing stays. */
const KiB = 1024
/** Files of these tests are never old enough to be swept (publication-staging-sweep.test.ts covers that). */
const SWEEP = { staleAfterMs: 3_600_000 }
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ebox-staging-unit-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const limits = (overrides: Partial<StagingLimits> = {}): StagingLimits => ({
  maxTotalBytes: 1024 * KiB,
  memoryFileBytes: 64 * KiB,
  memoryTotalBytes: 100 * KiB,
  ...overrides,
})

/** `bytes` as a stream of 16 KiB chunks, like a socket delivers them. */
function chunked(bytes: Buffer): Readable {
  const chunks: Buffer[] = []
  for (let at = 0; at < bytes.length; at += 16 * KiB) chunks.push(bytes.subarray(at, at + 16 * KiB))
  return Readable.from(chunks)
}

const tooLarge = () => new Error('too large')
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url')
const readAll = async (stream: Readable) => Buffer.concat(await stream.toArray())
const partFiles = async () => (await readdir(dir)).filter((name) => name.endsWith('.part'))

describe('staging area', () => {
  it('keeps a small file in memory and a large one on disk; both read back byte-identical', async () => {
    const request = createStagingArea(dir, limits(), SWEEP).open()
    const small = randomBytes(40 * KiB)
    const large = randomBytes(300 * KiB)

    const stagedSmall = await request.stage(chunked(small), 1024 * KiB, tooLarge)
    expect(await partFiles()).toEqual([])
    const stagedLarge = await request.stage(chunked(large), 1024 * KiB, tooLarge)
    expect(await partFiles()).toHaveLength(1)

    expect(stagedSmall).toMatchObject({ sizeBytes: small.length, sha256: sha256(small) })
    expect(stagedLarge).toMatchObject({ sizeBytes: large.length, sha256: sha256(large) })
    // Read twice: the content store may read a staged file again (an object-store upload retried).
    for (let round = 0; round < 2; round++) {
      expect((await readAll(stagedSmall.read())).equals(small)).toBe(true)
      expect((await readAll(stagedLarge.read())).equals(large)).toBe(true)
    }
    await request.discard()
    expect(await partFiles()).toEqual([])
  })

  it('reads a file held in memory back as the buffers it received, none joined into a copy', async () => {
    const request = createStagingArea(dir, limits(), SWEEP).open()
    const pieces = [randomBytes(16 * KiB), randomBytes(16 * KiB), randomBytes(8 * KiB)]
    const staged = await request.stage(Readable.from(pieces), 1024 * KiB, tooLarge)
    const read = await staged.read().toArray()
    expect(read).toHaveLength(3)
    for (const [index, piece] of read.entries()) expect(piece).toBe(pieces[index])
    await request.discard()
  })

  it('moves a file to disk once the memory budget of all requests is spent, and frees it on discard', async () => {
    const area = createStagingArea(dir, limits(), SWEEP)
    const first = area.open()
    const second = area.open()
    const a = randomBytes(60 * KiB)
    const b = randomBytes(60 * KiB)
    await first.stage(chunked(a), 1024 * KiB, tooLarge)
    // 60 + 60 KiB exceed the 100 KiB memory budget: the second request's file goes to disk, whole.
    const stagedB = await second.stage(chunked(b), 1024 * KiB, tooLarge)
    expect(await partFiles()).toHaveLength(1)
    expect((await readAll(stagedB.read())).equals(b)).toBe(true)
    await second.discard()

    await first.discard()
    const third = area.open()
    await third.stage(chunked(randomBytes(60 * KiB)), 1024 * KiB, tooLarge)
    expect(await partFiles()).toEqual([])
    await third.discard()
  })

  it('refuses a file over its limit and a request over the total budget (503 with Retry-After)', async () => {
    const area = createStagingArea(dir, limits({ maxTotalBytes: 200 * KiB, memoryFileBytes: 0 }), SWEEP)
    const request = area.open()
    await expect(request.stage(chunked(randomBytes(50 * KiB)), 32 * KiB, tooLarge)).rejects.toThrow(
      'too large',
    )
    await request.discard()

    const holding = area.open()
    await holding.stage(chunked(randomBytes(150 * KiB)), 1024 * KiB, tooLarge)
    const refused = area.open()
    await expect(refused.stage(chunked(randomBytes(100 * KiB)), 1024 * KiB, tooLarge)).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      headers: { 'retry-after': '30' },
    })
    await refused.discard()
    await holding.discard()
    expect(await partFiles()).toEqual([])
    // Every byte was given back: the whole budget is usable again.
    const again = area.open()
    await again.stage(chunked(randomBytes(190 * KiB)), 1024 * KiB, tooLarge)
    await again.discard()
  })

  it('a source that fails mid-file leaves no file and no bytes held', async () => {
    const area = createStagingArea(dir, limits({ maxTotalBytes: 400 * KiB }), SWEEP)
    const request = area.open()
    async function* failing() {
      yield randomBytes(100 * KiB)
      throw new Error('client went away')
    }
    await expect(request.stage(Readable.from(failing()), 1024 * KiB, tooLarge)).rejects.toThrow(
      'client went away',
    )
    await request.discard()
    expect(await partFiles()).toEqual([])
    const next = area.open()
    const staged = await next.stage(chunked(Buffer.from('x'.repeat(390 * KiB))), 1024 * KiB, tooLarge)
    expect((await text(staged.read())).length).toBe(390 * KiB)
    await next.discard()
  })
})
