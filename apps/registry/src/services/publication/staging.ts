import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { RegistryError } from '@ebox/contract'

/**
 * The staging area of publications: each file part is streamed to a temporary file (SHA-256 and size computed on
 * the way) before any database connection is taken, so a slow or stalled upload holds a file descriptor and a
 * few bytes of disk, never a connection. Bytes on disk are bounded per request (the request budget) and across
 * all requests (`maxTotalBytes`); every file is deleted when its request ends, whatever the outcome.
 */
export interface StagingArea {
  readonly dir: string
  /** One request's staged files; `discard()` deletes them all (call it in a `finally`). */
  open(): StagedRequest
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

export function createStagingArea(dir: string, maxTotalBytes: number): StagingArea {
  let totalBytes = 0
  const ready = mkdir(dir, { recursive: true, mode: 0o700 })
  return {
    dir,
    open() {
      const paths: string[] = []
      let reserved = 0
      const reserve = (bytes: number) => {
        if (totalBytes + bytes > maxTotalBytes) {
          throw new RegistryError(
            'SERVICE_UNAVAILABLE',
            'The publication staging area is full; retry later.',
            { headers: { 'retry-after': '30' } },
          )
        }
        totalBytes += bytes
        reserved += bytes
      }
      return {
        async stage(source, maxBytes, onTooLarge) {
          await ready
          const path = join(dir, `${randomUUID()}.part`)
          paths.push(path)
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
            createWriteStream(path, { flags: 'wx', mode: 0o600 }),
          )
          const sha256 = hash.digest('base64url')
          return { sizeBytes, sha256, read: () => createReadStream(path) }
        },
        async discard() {
          const removing = paths.splice(0).map((path) => rm(path, { force: true }))
          await Promise.all(removing)
          totalBytes -= reserved
          reserved = 0
        },
      }
    },
  }
}
