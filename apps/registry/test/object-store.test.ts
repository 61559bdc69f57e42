import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { SCOPES } from '@ebox/contract'
import { startS3Emulator } from '@ebox/dev-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ObjectStore } from '../src/content/object-store.ts'
import { prepareObjectContent, type StagedContent } from '../src/content/s3-store.ts'
import { sweepContentObjects } from '../src/content/sweeper.ts'
import { inTransaction } from '../src/db/pool.ts'
import {
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  publish,
  publisherToken,
  seedPublicationData,
  sha256,
  storedState,
} from './support/publication.ts'
import { objectStoreTestEnv, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * CONTENT_STORE=s3 against a real S3-compatible server (s3rver, test/global-setup.ts): content-addressed objects,
 * dedup, what a failed publication leaves, the sweeper and its race with a publication of the same digest.
 */
let registry: TestRegistry
let objects: ObjectStore
let senderToken: string
let readerToken: string
const HOUR = 3_600
const GRACE = 24 * HOUR

beforeAll(async () => {
  registry = await startTestRegistry({ ...objectStoreTestEnv(`objects-${Date.now()}`, 's3') })
  objects = registry.app.contentStore.objects!
  await seedPublicationData(registry.pool)
  senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: NEW_ENTERPRISE })
})
afterAll(() => registry.close())

const toNewEnterprise = (overrides: Record<string, unknown> = {}) =>
  messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE }, ...overrides })

async function publishContent(data: Buffer, overrides: Record<string, unknown> = {}) {
  return publish(registry.app, senderToken, [jsonPart(toNewEnterprise(overrides)), filePart('file1', data)])
}

async function keys(under: 'sha256' | 'uploads'): Promise<string[]> {
  const prefix = `${objects.config.prefix}${under}/`
  const listed = await objects.client.send(
    new ListObjectsV2Command({ Bucket: objects.config.bucket, Prefix: prefix }),
  )
  return (listed.Contents ?? []).map((object) => object.Key!).sort()
}

const claims = async () =>
  (await registry.pool.query('SELECT claim_id, upload_key, sha256 FROM content_object_claims')).rows
const later = (seconds: number) => new Date(Date.now() + seconds * 1000)

describe('publication into the object store', () => {
  it('stores the content once under its SHA-256, writes no chunk, and reads it back whole', async () => {
    const data = randomBytes(7 * 1024 * 1024 + 17) // two multipart parts
    const response = await publishContent(data)
    expect(response.statusCode, response.body).toBe(201)
    const { rows } = await registry.pool.query('SELECT store, sha256 FROM contents')
    expect(rows).toEqual([{ store: 's3', sha256: sha256(data) }])
    expect((await storedState(registry.pool)).chunks).toBe(0)
    expect(await keys('sha256')).toEqual([objects.digestKey(sha256(data))])
    expect(await keys('uploads')).toEqual([])

    const content = await registry.app.inject({
      url: `/ebox/messages/${response.json().messageId}/attachments/1/content`,
      headers: { authorization: `Bearer ${readerToken}` },
    })
    expect(content.statusCode).toBe(200)
    expect(content.rawPayload.equals(data)).toBe(true)
  })

  it('shares one object between messages with the same content', async () => {
    const data = randomBytes(300_000)
    for (let i = 0; i < 3; i++) expect((await publishContent(data)).statusCode).toBe(201)
    const { rows } = await registry.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contents WHERE sha256 = $1',
      [sha256(data)],
    )
    expect(rows[0]!.n).toBe(3)
    expect((await keys('sha256')).filter((key) => key === objects.digestKey(sha256(data)))).toHaveLength(1)
  })

  it('stores an empty file', async () => {
    const response = await publishContent(Buffer.alloc(0))
    expect(response.statusCode, response.body).toBe(201)
    const content = await registry.app.inject({
      url: `/ebox/messages/${response.json().messageId}/attachments/1/content`,
      headers: { authorization: `Bearer ${readerToken}` },
    })
    expect(content.statusCode).toBe(200)
    expect(content.rawPayload.length).toBe(0)
  })
})

describe('the sweeper', () => {
  it('never deletes an object a contents row names, and settles the publications’ claims', async () => {
    const before = await keys('sha256')
    expect((await claims()).length).toBeGreaterThan(0)
    const report = await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    expect(report.deleted).toBe(0)
    expect(report.settled).toBeGreaterThan(0)
    expect(await claims()).toEqual([])
    expect(await keys('sha256')).toEqual(before)
  })

  it('a refused publication writes nothing to the bucket: its digest is checked before any upload', async () => {
    const data = randomBytes(100_000)
    const state = await storedState(registry.pool)
    const refused = await publishContent(data, {
      attachments: [
        {
          httpPartName: 'file1',
          isMainContent: true,
          digest: { digestMethod: 'sha_256', digestValue: sha256(Buffer.from('something else')) },
        },
      ],
    })
    expect(refused.json().code).toBe('DIGEST_DO_NOT_MATCH')
    expect(await storedState(registry.pool)).toEqual(state)
    expect(await keys('sha256')).not.toContain(objects.digestKey(sha256(data)))
    expect(await keys('uploads')).toEqual([])
  })

  it('uploads before the publication transaction: no transaction is open while bytes go to the bucket', async () => {
    const openTransactions: number[] = []
    const upload = objects.upload
    objects.upload = async function (this: ObjectStore, ...args: Parameters<ObjectStore['upload']>) {
      const { rows } = await registry.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()`,
      )
      openTransactions.push(rows[0]!.n)
      return upload.apply(this, args)
    }
    try {
      const response = await publishContent(randomBytes(300_000))
      expect(response.statusCode, response.body).toBe(201)
    } finally {
      objects.upload = upload
    }
    expect(openTransactions).toEqual([0])
  })

  it('collects the object of a publication that did not commit, after the grace period only', async () => {
    const data = randomBytes(100_000)
    const state = await storedState(registry.pool)
    // The object is written before the transaction, which then rolls back (e.g. the process fails at commit).
    const prepared = await registry.app.contentStore.prepare(staged(data))
    await expect(
      inTransaction(registry.pool, async (client) => {
        await prepared.commit(client)
        throw new Error('the commit fails')
      }),
    ).rejects.toThrow('the commit fails')
    // Nothing in the database names the object: no message, no contents row.
    expect(await storedState(registry.pool)).toEqual(state)
    expect(await keys('sha256')).toContain(objects.digestKey(sha256(data)))

    const early = await sweepContentObjects(registry.pool, objects, later(HOUR), GRACE)
    expect(early).toEqual({ settled: 0, deleted: 0, busy: 0 })
    expect(await keys('sha256')).toContain(objects.digestKey(sha256(data)))

    const due = await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    expect(due.deleted).toBe(1)
    expect(await keys('sha256')).not.toContain(objects.digestKey(sha256(data)))
    expect(await keys('uploads')).toEqual([])
    expect(await claims()).toEqual([])
  })

  it('deletes the upload of a publication that failed mid-stream', async () => {
    const uploadKey = objects.uploadKey('00000000-0000-4000-8000-000000000001')
    await objects.upload(uploadKey, Readable.from([Buffer.from('half an upload')]))
    await registry.pool.query(
      `INSERT INTO content_object_claims (claim_id, upload_key, claimed_at)
       VALUES ('00000000-0000-4000-8000-000000000001', $1, now())`,
      [uploadKey],
    )
    expect(await keys('uploads')).toEqual([uploadKey])
    await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    expect(await keys('uploads')).toEqual([])
  })

  it('deletes an object once the last row naming it is deleted (retention), not before', async () => {
    const data = randomBytes(50_000)
    const first = await publishContent(data)
    const second = await publishContent(data)
    await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    const key = objects.digestKey(sha256(data))

    await deleteMessage(first.json().messageId)
    await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    expect(await keys('sha256')).toContain(key)

    await deleteMessage(second.json().messageId)
    const report = await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    expect(report.deleted).toBe(1)
    expect(await keys('sha256')).not.toContain(key)
  })
})

/** What a retention job does: the message, its attachments (cascade) and its now unnamed contents rows. */
async function deleteMessage(messageId: string) {
  await inTransaction(registry.pool, async (client) => {
    const { rows } = await client.query<{ content_id: string }>(
      'SELECT content_id FROM attachments WHERE message_id = $1',
      [messageId],
    )
    await client.query('DELETE FROM outbox_events WHERE message_id = $1', [messageId])
    await client.query('DELETE FROM messages WHERE message_id = $1', [messageId])
    await client.query(
      `DELETE FROM contents c WHERE c.content_id = ANY($1::uuid[])
         AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.content_id = c.content_id)`,
      [rows.map((row) => row.content_id)],
    )
  })
}

describe('a publication and the sweeper racing on the same digest', () => {
  /** An object nobody names, with a claim past its grace period: what the sweeper deletes. */
  async function orphan(data: Buffer) {
    const uploadKey = objects.uploadKey(crypto.randomUUID())
    await objects.upload(uploadKey, Readable.from([data]))
    await objects.copy(uploadKey, objects.digestKey(sha256(data)))
    await objects.delete(uploadKey)
    await registry.pool.query(
      `INSERT INTO content_object_claims (claim_id, sha256, claimed_at) VALUES (gen_random_uuid(), $1, now())`,
      [sha256(data)],
    )
  }

  it('the sweeper waits (skips) while a publication holds the digest, and the committed row keeps the object', async () => {
    const data = randomBytes(64_000)
    await orphan(data)
    const key = objects.digestKey(sha256(data))
    let sweptMeanwhile: Awaited<ReturnType<typeof sweepContentObjects>> | undefined
    const claimsPool = registry.pool
    await inTransaction(registry.pool, async (client) => {
      // The publication found the object there (dedup) and holds the digest's shared lock until it commits.
      const prepared = await prepareObjectContent(claimsPool, objects, staged(data), {})
      await prepared.commit(client)
      sweptMeanwhile = await sweepContentObjects(registry.pool, objects, later(GRACE + 60), GRACE)
    })
    expect(sweptMeanwhile?.deleted).toBe(0)
    expect(sweptMeanwhile?.busy).toBeGreaterThanOrEqual(1)
    expect(await keys('sha256')).toContain(key)
    // The busy claim was put off; once due again, the committed contents row keeps the object.
    const report = await sweepContentObjects(registry.pool, objects, later(2 * GRACE + 120), GRACE)
    expect(report.deleted).toBe(0)
    expect(await keys('sha256')).toContain(key)
  })

  it('a publication that finds the object deleted under its nose writes it again before its row commits', async () => {
    const data = randomBytes(64_000)
    await orphan(data)
    const key = objects.digestKey(sha256(data))
    // The publication found the object there before its transaction (dedup: nothing uploaded); then the sweeper
    // holds the digest's exclusive lock (it is deleting the object) while the publication's transaction starts.
    const prepared = await prepareObjectContent(registry.pool, objects, staged(data), {})
    const sweeper = await registry.pool.connect()
    await sweeper.query('BEGIN')
    await sweeper.query(`SELECT pg_advisory_xact_lock(hashtextextended('content-object:' || $1, 0))`, [
      sha256(data),
    ])
    const publication = inTransaction(registry.pool, (client) => prepared.commit(client))
    await new Promise((resolve) => setTimeout(resolve, 300))
    await objects.delete(key)
    await sweeper.query('COMMIT')
    sweeper.release()
    const stored = await publication
    expect(stored.sha256).toBe(sha256(data))
    expect(await keys('sha256')).toContain(key)
    const { rows } = await registry.pool.query('SELECT store FROM contents WHERE content_id = $1', [
      stored.contentId,
    ])
    expect(rows).toEqual([{ store: 's3' }])
  })
})

describe('the object store unavailable', () => {
  it('answers 503 with Retry-After to a publication and a download, and writes nothing', async () => {
    const emulator = await startS3Emulator()
    const faulty = await startTestRegistry({
      ...objectStoreTestEnv(`faulty-${Date.now()}`, 's3'),
      S3_ENDPOINT: emulator.endpoint,
      S3_BUCKET: emulator.bucket,
    })
    try {
      await seedPublicationData(faulty.pool)
      const token = await faulty.token(publisherToken)
      const data = randomBytes(200_000)
      const published = await publish(faulty.app, token, [
        jsonPart(toNewEnterprise()),
        filePart('file1', data),
      ])
      expect(published.statusCode).toBe(201)

      await emulator.stop()
      const state = await storedState(faulty.pool)
      const refused = await publish(faulty.app, token, [jsonPart(toNewEnterprise()), filePart('file1', data)])
      expect(refused.statusCode).toBe(503)
      expect(refused.headers['retry-after']).toBe('5')
      expect(refused.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', environment: 'test' })
      expect(await storedState(faulty.pool)).toEqual(state)

      const reader = await faulty.token({ scopes: [SCOPES.documentConsumer], cbe: NEW_ENTERPRISE })
      const url = `/ebox/messages/${published.json().messageId}/attachments/1/content`
      const download = await faulty.app.inject({ url, headers: { authorization: `Bearer ${reader}` } })
      expect(download.statusCode).toBe(503)
      expect(download.headers['retry-after']).toBe('5')
      expect(download.headers['content-disposition']).toBeUndefined()
      // Reading failed: the message is still unread.
      const { rows } = await faulty.pool.query('SELECT read_at FROM messages WHERE message_id = $1', [
        published.json().messageId,
      ])
      expect(rows[0].read_at).toBeNull()

      await emulator.start()
      const again = await faulty.app.inject({ url, headers: { authorization: `Bearer ${reader}` } })
      expect(again.statusCode).toBe(200)
      expect(again.rawPayload.equals(data)).toBe(true)
    } finally {
      await faulty.close()
      await emulator.close()
    }
  }, 60_000)
})

/** A staged publication part holding `data`. */
function staged(data: Buffer): StagedContent {
  return { sizeBytes: data.length, sha256: sha256(data), read: () => Readable.from([data]) }
}
