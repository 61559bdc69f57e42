import { randomBytes } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { contentCommand } from '../src/content/cli.ts'
import { ObjectStore } from '../src/content/object-store.ts'
import { sweepContentObjects } from '../src/content/sweeper.ts'
import {
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  publish,
  publisherToken,
  seedPublicationData,
  sha256,
} from './support/publication.ts'
import { objectStoreTestEnv, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * `registry content migrate --to s3|postgres`: contents published with CONTENT_STORE=postgres move to the bucket
 * and back, verified, resumable, idempotent, served the same at every step.
 */
let registry: TestRegistry
let env: Record<string, string>
let objects: ObjectStore
let readerToken: string
const published: { messageId: string; data: Buffer }[] = []

beforeAll(async () => {
  // The service itself keeps writing to PostgreSQL; the bucket is configured for reads (S3_BUCKET set).
  registry = await startTestRegistry(objectStoreTestEnv(`migration-${Date.now()}`, 'postgres'))
  env = {
    DATABASE_URL: registry.config.databaseUrl,
    ...objectStoreTestEnv(registry.database.name, 'postgres'),
  }
  env.S3_PREFIX = registry.config.contentStore.s3!.prefix
  objects = new ObjectStore(loadConfig({ ...registryEnv(), ...env }).contentStore.s3!)
  await seedPublicationData(registry.pool)
  const senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: NEW_ENTERPRISE })
  const shared = randomBytes(40_000)
  for (const data of [randomBytes(600_000), shared, shared, Buffer.alloc(0)]) {
    const response = await publish(registry.app, senderToken, [
      jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE } })),
      filePart('file1', data),
    ])
    expect(response.statusCode, response.body).toBe(201)
    published.push({ messageId: response.json().messageId, data })
  }
})
afterAll(async () => {
  objects.close()
  await registry.close()
})

/** Just enough for loadConfig to accept the S3 variables. */
function registryEnv() {
  return {
    OAUTH_ISSUER: 'https://issuer.test',
    OAUTH_AUDIENCE: 'a',
    OAUTH_JWKS_URL: 'https://issuer.test/jwks',
  }
}

const stores = async () =>
  (await registry.pool.query<{ store: string }>('SELECT store FROM contents ORDER BY content_id')).rows.map(
    (row) => row.store,
  )
const chunkCount = async () =>
  (await registry.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM content_chunks')).rows[0]!.n

async function expectServedIntact() {
  for (const { messageId, data } of published) {
    const response = await registry.app.inject({
      url: `/ebox/messages/${messageId}/attachments/1/content`,
      headers: { authorization: `Bearer ${readerToken}` },
    })
    expect(response.statusCode).toBe(200)
    expect(sha256(response.rawPayload)).toBe(sha256(data))
  }
}

describe('registry content migrate', () => {
  it('moves every content to the bucket, verified, with a progress line, and serves it from there', async () => {
    expect(await stores()).toEqual(['postgres', 'postgres', 'postgres', 'postgres'])
    const lines: string[] = []
    expect(await contentCommand(['migrate', '--to', 's3'], env, (line) => lines.push(line))).toBe(0)
    expect(lines.at(-1)).toMatch(/^content migrate --to s3: 4\/4 contents moved, 0\.\d MB of 0\.\d MB$/)
    expect(await stores()).toEqual(['s3', 's3', 's3', 's3'])
    expect(await chunkCount()).toBe(0)
    for (const { data } of published) expect(await objects.exists(objects.digestKey(sha256(data)))).toBe(true)
    await expectServedIntact()
  })

  it('is idempotent: a second run moves nothing and changes nothing', async () => {
    const lines: string[] = []
    expect(await contentCommand(['migrate', '--to', 's3'], env, (line) => lines.push(line))).toBe(0)
    expect(lines.at(-1)).toMatch(/ 0\/0 contents moved/)
    expect(await stores()).toEqual(['s3', 's3', 's3', 's3'])
  })

  it('moves back to PostgreSQL; the sweeper then deletes the objects nobody names', async () => {
    expect(await contentCommand(['migrate', '--to', 'postgres'], env, () => {})).toBe(0)
    expect(await stores()).toEqual(['postgres', 'postgres', 'postgres', 'postgres'])
    expect(await chunkCount()).toBeGreaterThan(0)
    await expectServedIntact()
    const report = await sweepContentObjects(
      registry.pool,
      objects,
      new Date(Date.now() + 2 * 86_400_000),
      86_400,
    )
    expect(report.deleted).toBeGreaterThanOrEqual(3) // three distinct digests, some claimed more than once
    for (const { data } of published)
      expect(await objects.exists(objects.digestKey(sha256(data)))).toBe(false)
    await expectServedIntact()
  })

  it('refuses to move a content whose bytes do not match its digest, and moves the others', async () => {
    const big = published[0]!
    const { rows } = await registry.pool.query<{ content_id: string }>(
      'SELECT content_id FROM contents WHERE sha256 = $1',
      [sha256(big.data)],
    )
    const corrupt = rows[0]!.content_id
    // Chunks that are not the recorded bytes (a damaged row), and nothing in the bucket to fall back on.
    await registry.pool.query('DELETE FROM content_chunks WHERE content_id = $1', [corrupt])
    await registry.pool.query(`INSERT INTO content_chunks (content_id, seq, data) VALUES ($1, 0, '\\x00')`, [
      corrupt,
    ])
    const lines: string[] = []
    expect(await contentCommand(['migrate', '--to', 's3'], env, (line) => lines.push(line))).toBe(1)
    expect(lines.join('\n')).toContain(corrupt)
    expect(lines.join('\n')).toContain('1 mismatched')
    const { rows: after } = await registry.pool.query<{ content_id: string; store: string }>(
      'SELECT content_id, store FROM contents',
    )
    for (const row of after) expect(row.store).toBe(row.content_id === corrupt ? 'postgres' : 's3')
    expect(await objects.exists(objects.digestKey(sha256(big.data)))).toBe(false)
  })

  it('says what is missing instead of starting', async () => {
    await expect(
      contentCommand(['migrate', '--to', 's3'], { DATABASE_URL: env.DATABASE_URL }),
    ).rejects.toThrow(/S3_BUCKET is required/)
    expect(await contentCommand(['migrate', '--to', 'floppy'], env)).toBe(2)
  })
})
