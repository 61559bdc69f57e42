import type { Reader } from '../config/reader.ts'

/** Where new attachment content goes. Reads follow each contents row's own `store` (a migration mixes both). */
export type ContentStoreKind = 'postgres' | 's3'

export interface ObjectStoreConfig {
  bucket: string
  /** Key prefix inside the bucket, '' or ending in '/'. */
  prefix: string
  /** undefined = AWS S3 of the region; set for Ceph RGW, MinIO, or an emulator. */
  endpoint: string | undefined
  region: string
  /** Path-style URLs (endpoint/bucket/key): what most non-AWS services and emulators expect. */
  forcePathStyle: boolean
  serverSideEncryption: 'AES256' | 'aws:kms' | undefined
  kmsKeyId: string | undefined
  /** Bound on one request to the object store (connection and response), before it counts as unavailable. */
  timeoutMs: number
}

export interface ContentStoreConfig {
  kind: ContentStoreKind
  /** Set whenever S3_BUCKET is: existing objects stay readable (and swept) even with CONTENT_STORE=postgres. */
  s3: ObjectStoreConfig | undefined
}

/** One object is copied from its upload key to its digest key: CopyObject takes at most 5 GiB. */
export const OBJECT_MAX_BYTES = 5 * 1024 ** 3

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/

/**
 * CONTENT_STORE and the S3_* variables (README.md), read by the API, the worker and `registry content`.
 * Credentials are not variables of ours: the AWS SDK's default chain finds them (web identity / IRSA, the
 * container's role, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile).
 */
export function readContentStoreConfig(read: Reader): ContentStoreConfig {
  const kind = read.oneOf('CONTENT_STORE', ['postgres', 's3'] as const, 'postgres')
  const bucket = read.optional('S3_BUCKET')
  // Every variable is read (and checked) whether or not a bucket is set: the set a process reads stays fixed.
  let prefix = read.optional('S3_PREFIX') ?? ''
  if (!PREFIX.test(prefix) || prefix.startsWith('/') || prefix.includes('//') || prefix.length > 200) {
    read.problems.push(
      `S3_PREFIX must be at most 200 characters of letters, digits and !_.*'()/- without a leading "/", got "${prefix}"`,
    )
  }
  if (prefix && !prefix.endsWith('/')) prefix += '/'
  const sse = read.oneOf('S3_SSE', ['none', 'AES256', 'aws:kms'] as const, 'none')
  const kmsKeyId = read.optional('S3_SSE_KMS_KEY_ID')
  if (kmsKeyId && sse !== 'aws:kms') read.problems.push('S3_SSE_KMS_KEY_ID is only used with S3_SSE=aws:kms')
  const settings = {
    prefix,
    endpoint: read.optionalUrl('S3_ENDPOINT', undefined, false, ''),
    region: read.string('S3_REGION', read.optional('AWS_REGION') ?? 'us-east-1'),
    forcePathStyle: read.boolean('S3_FORCE_PATH_STYLE', false),
    serverSideEncryption: sse === 'none' ? undefined : sse,
    kmsKeyId,
    timeoutMs: read.integer('S3_TIMEOUT_MS', 30_000, 100, 600_000),
  }
  if (!bucket) {
    if (kind === 's3') read.problems.push('S3_BUCKET is required with CONTENT_STORE=s3')
    return { kind, s3: undefined }
  }
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    read.problems.push(
      `S3_BUCKET must be a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens, got "${bucket}"`,
    )
  }
  return { kind, s3: { bucket, ...settings } }
}
