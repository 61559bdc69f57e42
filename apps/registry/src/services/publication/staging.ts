import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { RegistryError } from '@ebox/contract'

/**
 * The staging area of publications: each file part is received in full (SHA-256 and size computed on the way)
 * before any database connection is taken, so a slow or stalled upload holds memory or a file descriptor, never a
 * connection. A file is spooled: it stays in memory while it is small and the memory budget allows, and moves to a
 * temporary file as soon as it is not — most letters are under a megabyte, and writing them to disk and reading
 * them back was the largest cost of a publication after the network (BENCHMARKS.md). Bytes are bounded per request
 * (the request budget), across all requests (`maxTotalBytes`, memory and disk) and in memory (`memory.totalBytes`);
 * every file is deleted and every byte released when its request ends, whatever the outcome.
 */
export interface StagingArea {
  readonly dir: string
  /** One request's staged files; `discard()` deletes them all (call it in a `finally`). */
  open(): StagedRequest
  /** Stops the periodic sweep of stale files. */
  close(): void
}

export interface StagingOptions {
  /**
   * Age (time since its last write) past which a `.part` file belongs to no live request: swept at start and
   * then every so often. See `sweepStaleStagingFiles`.
   */
  staleAfterMs: number
  /** Hears how many stale files a sweep removed (only when it removed some). */
  onSwept?: (removed: number) => void
}

export interface StagedRequest {
  stage(source: Readable, maxBytes: number, onTooLarge: () => Error): Promise<StagedFile>
  discard(): Promise<void>
}

export interface StagedFile {
  sizeBytes: number
  sha256: string
  /** A fresh stream of the staged bytes (for the content store, inside the short commit). */
  read(): Readable
}

export interface StagingLimits {
  /** Bytes staged at once across all requests, in memory and on disk; over it: 503 with Retry-After. */
  maxTotalBytes: number
  /** A file larger than this goes to disk; 0 stages every file on disk. */
  memoryFileBytes: number
  /** Bytes held in memory across all requests; a file that would exceed it goes to disk. */
  memoryTotalBytes: number
}

export function createStagingArea(dir: string, limits: StagingLimits, options: StagingOptions): StagingArea {
  const budget = { total: 0, memory: 0 }
  const ready = mkdir(dir, { recursive: true, mode: 0o700 })
  const sweep = () =>
    ready
      .then(() => sweepStaleStagingFiles(dir, options.staleAfterMs))
      .then((removed) => {
        if (removed > 0) options.onSwept?.(removed)
      })
      // A sweep that fails (directory removed under us) is retried at the next tick; publications report their own.
      .catch(() => {})
  void sweep()
  const sweeper = setInterval(sweep, Math.max(1_000, options.staleAfterMs / 2))
  sweeper.unref()
  return {
    dir,
    close: () => clearInterval(sweeper),
    open() {
      const paths: string[] = []
      const held = { total: 0, memory: 0 }
      const reserve = (bytes: number) => {
        if (budget.total + bytes > limits.maxTotalBytes) {
          throw new RegistryError(
            'SERVICE_UNAVAILABLE',
            'The publication staging area is full; retry later.',
            { headers: { 'retry-after': '30' } },
          )
        }
        budget.total += bytes
        held.total += bytes
      }
      const memory = {
        hold(bytes: number, fileBytes: number) {
          if (fileBytes > limits.memoryFileBytes) return false
          if (budget.memory + bytes > limits.memoryTotalBytes) return false
          budget.memory += bytes
          held.memory += bytes
          return true
        },
        release(bytes: number) {
          budget.memory -= bytes
          held.memory -= bytes
        },
      }
      return {
        async stage(source, maxBytes, onTooLarge) {
          await ready
          const spool = new Spool(memory, () => {
            const path = join(dir, `${randomUUID()}.part`)
            paths.push(path)
            return path
          })
          const hash = createHash('sha256')
          let sizeBytes = 0
          await pipeline(
            source,
            async function* (chunks: AsyncIterable<Buffer>) {
              for await (const chunk of chunks) {
                sizeBytes += chunk.length
                if (sizeBytes > maxBytes) throw onTooLarge()
                reserve(chunk.length)
                hash.update(chunk)
                yield chunk
              }
            },
            spool,
          )
          const sha256 = hash.digest('base64url')
          return { sizeBytes, sha256, read: () => spool.read() }
        },
        async discard() {
          const removing = paths.splice(0).map((path) => rm(path, { force: true }))
          await Promise.all(removing)
          budget.total -= held.total
          budget.memory -= held.memory
          held.total = 0
          held.memory = 0
        },
      }
    },
  }
}

interface MemoryBudget {
  /** Whether `bytes` more of a file now `fileBytes` long may stay in memory (and if so, they are counted). */
  hold(bytes: number, fileBytes: number): boolean
  release(bytes: number): void
}

/** A file's bytes: in memory while the budget allows, then in a temporary file (what was held moves there). */
class Spool extends Writable {
  private chunks: Buffer[] = []
  private size = 0
  private file: WriteStream | undefined
  private path: string | undefined

  constructor(
    private readonly memory: MemoryBudget,
    private readonly newPath: () => string,
  ) {
    super()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void) {
    this.size += chunk.length
    if (!this.file && this.memory.hold(chunk.length, this.size)) {
      this.chunks.push(chunk)
      done()
      return
    }
    const file = this.file ?? this.spill()
    if (file.write(chunk)) done()
    else file.once('drain', () => done())
  }

  override _final(done: (error?: Error | null) => void) {
    if (!this.file) done()
    else this.file.end((error?: Error | null) => done(error))
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void) {
    this.file?.destroy()
    done(error)
  }

  read(): Readable {
    // Object mode: each read is one held buffer as it is. In byte mode, a read joins the buffers queued at that
    // moment into a fresh one: a copy, and the page faults of a new allocation (BENCHMARKS.md, "Publication, 1 MB").
    return this.path ? createReadStream(this.path) : Readable.from(this.chunks)
  }

  /** Moves the bytes held so far to a new temporary file, which receives the rest. */
  private spill(): WriteStream {
    this.path = this.newPath()
    const file = createWriteStream(this.path, { flags: 'wx', mode: 0o600 })
    file.on('error', (error) => this.destroy(error))
    for (const held of this.chunks) file.write(held)
    this.memory.release(this.chunks.reduce((bytes, held) => bytes + held.length, 0))
    this.chunks = []
    this.file = file
    return file
  }
}

/**
 * Removes the `.part` files of `dir` whose last write is older than `staleAfterMs`: what a process killed
 * mid-upload (SIGKILL, OOM) left behind. Only by age, never all of them: in the image the directory is the pod's
 * own /tmp (one registry per pod, surviving a container restart), but the default (os.tmpdir()), a developer
 * machine, the tests and the chaos suite share one directory between live processes, whose uploads must stay.
 * A live request writes its file while the body arrives (bounded by HTTP_REQUEST_TIMEOUT_MS) and reads it back in
 * its commit right after, so the caller passes a multiple of that bound. Returns how many files it removed.
 */
export async function sweepStaleStagingFiles(
  dir: string,
  staleAfterMs: number,
  now = Date.now(),
): Promise<number> {
  let removed = 0
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.part')) continue
    const path = join(dir, name)
    const stale = await stat(path).then(
      (info) => now - info.mtimeMs > staleAfterMs,
      () => false,
    )
    if (!stale) continue
    await rm(path, { force: true })
    removed++
  }
  return removed
}
