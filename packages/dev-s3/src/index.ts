/// <reference path="./s3rver.d.ts" />
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'

export const EMULATOR_BUCKET = 'ebox-test-contents'
/** s3rver's fixed credentials: the SDK finds them in the environment, as it would a real key pair. */
export const EMULATOR_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }

export interface S3Emulator {
  endpoint: string
  bucket: string
  /** Stops answering (the "store unavailable" fault); `start` listens again on the same port. */
  stop(): Promise<void>
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * s3rver (an S3 emulator in pure Node, docs/operations.md) on 127.0.0.1 and a free port, with one bucket, its
 * files in `keepIn` (kept) or a temporary directory (removed by close). Path-style addressing, as for MinIO or
 * Ceph RGW.
 */
export async function startS3Emulator(port = 0, keepIn?: string): Promise<S3Emulator> {
  if (keepIn) await mkdir(keepIn, { recursive: true })
  const directory = keepIn ?? (await mkdtemp(join(tmpdir(), 'ebox-s3-')))
  let server: S3rver | undefined
  let boundPort = port
  const start = async () => {
    server = new S3rver({
      address: '127.0.0.1',
      port: boundPort,
      silent: true,
      directory,
      configureBuckets: [{ name: EMULATOR_BUCKET, configs: [] }],
    })
    const address = (await server.run()) as AddressInfo
    boundPort = address.port
  }
  const stop = async () => {
    await server?.close()
    server = undefined
  }
  await start()
  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    bucket: EMULATOR_BUCKET,
    stop,
    start,
    async close() {
      await stop()
      if (!keepIn) await rm(directory, { recursive: true, force: true })
    },
  }
}
