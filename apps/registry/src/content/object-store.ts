import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { RegistryError } from '@ebox/contract'
import type { ObjectStoreConfig } from './config.ts'
import type { ContentRange } from './range.ts'

/** Seconds a client is told to wait after the object store failed (Retry-After). */
export const OBJECT_STORE_RETRY_AFTER_SECONDS = 5
/**
 * Multipart part size, and two parts in flight: an upload holds about three parts (15 MiB) whatever the file's
 * size. 5 MiB is S3's smallest part; 10,000 parts make 48 GiB, far above PUBLICATION_MAX_FILE_BYTES.
 */
const PART_BYTES = 5 * 1024 * 1024
const PARTS_IN_FLIGHT = 2

export interface UploadLimits {
  maxBytes?: number
  onTooLarge?: () => Error
}

/**
 * The bucket as this service uses it: `<prefix>sha256/<hex digest>` holds a content, written once and never
 * changed (content-addressed: every contents row with that digest shares it); `<prefix>uploads/<claim id>` is an
 * upload in progress, whose digest is not known yet. Every failure to reach the store is a RegistryError 503 with
 * Retry-After; a failure of the upload's source (the client's body) is passed on unchanged.
 */
export class ObjectStore {
  readonly client: S3Client

  constructor(readonly config: ObjectStoreConfig) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      maxAttempts: 3,
      requestHandler: {
        connectionTimeout: config.timeoutMs,
        // Until the response headers: a download's body then streams at the client's pace.
        requestTimeout: config.timeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: 256 },
        httpsAgent: { keepAlive: true, maxSockets: 256 },
      },
    })
  }

  /** The key of the content with this SHA-256 (base64url, as stored in contents.sha256). */
  digestKey(sha256: string): string {
    return `${this.config.prefix}sha256/${Buffer.from(sha256, 'base64url').toString('hex')}`
  }

  uploadKey(claimId: string): string {
    return `${this.config.prefix}uploads/${claimId}`
  }

  /**
   * Streams `source` to `key` by multipart upload, computing size and SHA-256 on the way. Memory is bounded by
   * the parts in flight; on failure the SDK aborts the multipart upload (what it cannot abort, a lifecycle rule
   * or the sweeper's delete of the upload key removes).
   */
  async upload(
    key: string,
    source: AsyncIterable<Buffer> | NodeJS.ReadableStream,
    limits: UploadLimits = {},
  ): Promise<{ sha256: string; sizeBytes: number }> {
    const hash = createHash('sha256')
    let size = 0
    let sourceError: unknown
    async function* measured(): AsyncGenerator<Buffer> {
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          size += chunk.length
          if (limits.maxBytes !== undefined && size > limits.maxBytes) {
            throw limits.onTooLarge?.() ?? new Error(`content exceeds ${limits.maxBytes} bytes`)
          }
          hash.update(chunk)
          yield chunk
        }
      } catch (error) {
        sourceError = error
        throw error
      }
    }
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.config.bucket,
        Key: key,
        Body: Readable.from(measured()),
        ContentType: 'application/octet-stream',
        ...this.encryption(),
      },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (error) {
      throw sourceError ?? unavailable(error, 'upload')
    }
    return { sha256: hash.digest('base64url'), sizeBytes: size }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: key }))
      return true
    } catch (error) {
      if (isNotFound(error)) return false
      throw unavailable(error, 'head')
    }
  }

  /** A server-side copy: no byte passes through this process. */
  async copy(from: string, to: string): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.config.bucket,
          Key: to,
          CopySource: `${this.config.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`,
          ...this.encryption(),
        }),
      )
    } catch (error) {
      throw unavailable(error, 'copy')
    }
  }

  /** Deleting a key that does not exist succeeds (S3 semantics): the sweeper may retry freely. */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key }))
    } catch (error) {
      if (isNotFound(error)) return
      throw unavailable(error, 'delete')
    }
  }

  /**
   * The object's bytes (or one range of them) as a stream that the caller's consumer paces. Resolves once the
   * store answered, so that an unreachable store is a 503 before any byte is sent; checks the length it announces.
   */
  async get(key: string, expectedBytes: number, range?: ContentRange): Promise<Readable> {
    let response: GetObjectCommandOutput
    try {
      response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: key,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      )
    } catch (error) {
      if (isNotFound(error)) throw new Error(`object ${key} is missing from the bucket`, { cause: error })
      throw unavailable(error, 'get')
    }
    const body = response.Body as Readable
    const wanted = range ? range.end - range.start + 1 : expectedBytes
    if (response.ContentLength !== undefined && response.ContentLength !== wanted) {
      body.destroy()
      throw new Error(`object ${key} has ${response.ContentLength} bytes where ${wanted} were expected`)
    }
    return body
  }

  close(): void {
    this.client.destroy()
  }

  private encryption() {
    const { serverSideEncryption, kmsKeyId } = this.config
    if (!serverSideEncryption) return {}
    return { ServerSideEncryption: serverSideEncryption, ...(kmsKeyId && { SSEKMSKeyId: kmsKeyId }) }
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } }
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404
}

/** The store did not answer, answered 5xx or refused us: the caller may retry later; nothing was committed. */
export function unavailable(error: unknown, operation: string): RegistryError {
  return new RegistryError(
    'SERVICE_UNAVAILABLE',
    'The attachment store is temporarily unavailable; retry later.',
    {
      cause: new Error(`object store ${operation} failed`, { cause: error }),
      headers: { 'retry-after': String(OBJECT_STORE_RETRY_AFTER_SECONDS) },
    },
  )
}
