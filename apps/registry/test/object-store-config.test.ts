import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { loadWorkerConfig } from '../src/worker/config.ts'

const VALID = {
  DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
  OAUTH_ISSUER: 'https://issuer.example',
  OAUTH_AUDIENCE: 'registry',
  OAUTH_JWKS_URL: 'https://issuer.example/jwks',
}

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  return []
}

describe('content store configuration', () => {
  it('defaults to PostgreSQL, with no bucket', () => {
    expect(loadConfig(VALID).contentStore).toEqual({ kind: 'postgres', s3: undefined })
  })

  it('reads the bucket settings; credentials are left to the AWS default chain', () => {
    const config = loadConfig({
      ...VALID,
      CONTENT_STORE: 's3',
      S3_BUCKET: 'ebox-acc-contents',
      S3_PREFIX: 'registry',
      S3_ENDPOINT: 'https://rgw.example:7480',
      S3_FORCE_PATH_STYLE: 'true',
      S3_SSE: 'aws:kms',
      S3_SSE_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
      AWS_REGION: 'eu-west-1',
    })
    expect(config.contentStore).toEqual({
      kind: 's3',
      s3: {
        bucket: 'ebox-acc-contents',
        prefix: 'registry/',
        endpoint: 'https://rgw.example:7480',
        region: 'eu-west-1',
        forcePathStyle: true,
        serverSideEncryption: 'aws:kms',
        kmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/abc',
        timeoutMs: 30_000,
      },
    })
  })

  it.each([
    [{ CONTENT_STORE: 'disk' }, 'CONTENT_STORE must be one of postgres, s3, got "disk"'],
    [{ CONTENT_STORE: 's3' }, 'S3_BUCKET is required with CONTENT_STORE=s3'],
    [
      { S3_BUCKET: 'ab' },
      'S3_BUCKET must be a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens, got "ab"',
    ],
    [
      { S3_BUCKET: 'Ebox_Contents' },
      'S3_BUCKET must be a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens, got "Ebox_Contents"',
    ],
    [
      { S3_BUCKET: 'ebox', S3_PREFIX: '/abs' },
      `S3_PREFIX must be at most 200 characters of letters, digits and !_.*'()/- without a leading "/", got "/abs"`,
    ],
    [
      { S3_BUCKET: 'ebox', S3_ENDPOINT: 'minio:9000' },
      'S3_ENDPOINT must be a http: or https: URL, got "minio:"',
    ],
    [
      { S3_BUCKET: 'ebox', S3_FORCE_PATH_STYLE: 'yes' },
      'S3_FORCE_PATH_STYLE must be true or false, got "yes"',
    ],
    [{ S3_BUCKET: 'ebox', S3_SSE: 'KMS' }, 'S3_SSE must be one of none, AES256, aws:kms, got "KMS"'],
    [{ S3_BUCKET: 'ebox', S3_SSE_KMS_KEY_ID: 'k' }, 'S3_SSE_KMS_KEY_ID is only used with S3_SSE=aws:kms'],
    [
      { CONTENT_STORE: 's3', S3_BUCKET: 'ebox', PUBLICATION_MAX_FILE_BYTES: String(6 * 1024 ** 3) },
      'PUBLICATION_MAX_FILE_BYTES must be at most 5368709120 with CONTENT_STORE=s3',
    ],
  ])('names the problem of %o', (env, problem) => {
    expect(problemsOf({ ...VALID, ...env })).toEqual([problem])
  })

  it('the worker reads the same settings and the sweeper’s grace period', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const worker = {
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      EES_URL: 'https://ees.example',
      OAUTH_TOKEN_URL: 'https://issuer.example/token',
      OAUTH_CLIENT_ID: 'dp',
      OAUTH_CLIENT_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      S3_BUCKET: 'ebox-contents',
    }
    const config = loadWorkerConfig(worker)
    expect(config.contentStore.s3?.bucket).toBe('ebox-contents')
    expect(config.contentSweepGraceSeconds).toBe(86_400)
    expect(() => loadWorkerConfig({ ...worker, CONTENT_SWEEP_GRACE_SECONDS: '60' })).toThrow(
      /CONTENT_SWEEP_GRACE_SECONDS must be an integer from 3600 to 2592000, got "60"/,
    )
  })
})
