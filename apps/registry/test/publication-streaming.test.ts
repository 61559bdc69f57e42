import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLOSING,
  eventually,
  filePart,
  jsonPart,
  listen,
  messageToPublish,
  partHead,
  publisherToken,
  seedPublicationData,
  sha256,
  storedState,
  streamingPost,
} from './support/publication.ts'
import { AUDIENCE, contentStoreTestEnv, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Publication over a real connection: bodies written piece by piece, clients that go away, a server process that
 * dies, retries that race. Each test first proves the server has started receiving content (a file in its staging
 * directory: no database connection is held while a body arrives), then checks that nothing of it stays once the
 * request failed.
 */
const stagingDir = mkdtempSync(join(tmpdir(), 'ebox-streaming-'))
const childStagingDir = mkdtempSync(join(tmpdir(), 'ebox-streaming-child-'))
let registry: TestRegistry
let baseUrl: string
let token: string
beforeAll(async () => {
  registry = await startTestRegistry({
    PUBLICATION_STAGING_DIR: stagingDir,
    // Every file on disk: a staged file is how these tests see that a body is being received.
    PUBLICATION_STAGING_MEMORY_FILE_BYTES: '0',
  })
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
  baseUrl = await listen(registry.app)
})
afterAll(() => registry.close())

/** Bodies being received: the staged part files of `dir` (the registry under test's, or the child process's). */
function uploadsInProgress(dir = stagingDir): number {
  return readdirSync(dir).filter((name) => name.endsWith('.part')).length
}

/** Sessions of this database left inside a transaction (none may remain after a failed upload). */
async function openTransactions(): Promise<number> {
  const { rows } = await registry.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`,
  )
  return rows[0]!.n
}

const MiB = 1024 * 1024

describe('a publication that never completes leaves nothing', () => {
  it('client disconnecting mid-upload: rolled back, content cleaned, connection released', async () => {
    const before = await storedState(registry.pool)
    const upload = streamingPost(baseUrl, token)
    await upload.write(
      Buffer.concat([
        partHead(jsonPart(messageToPublish())),
        Buffer.from(JSON.stringify(messageToPublish())),
        Buffer.from('\r\n'),
      ]),
    )
    await upload.write(partHead(filePart('file1', Buffer.alloc(0))))
    for (let i = 0; i < 4; i++) await upload.write(randomBytes(MiB))
    await eventually(async () => (await uploadsInProgress()) === 1)
    upload.abort()

    await eventually(async () => (await uploadsInProgress()) === 0 && (await openTransactions()) === 0)
    expect(await storedState(registry.pool)).toEqual(before)
    await eventually(async () => registry.pool.idleCount === registry.pool.totalCount)
  })

  it('process killed mid-upload: the database rolls the transaction back', async () => {
    const child = await startServerProcess()
    try {
      const before = await storedState(registry.pool)
      const upload = streamingPost(child.url, token)
      await upload.write(partHead(filePart('file1', Buffer.alloc(0)))) // the JSON part would come last
      for (let i = 0; i < 3; i++) await upload.write(randomBytes(MiB))
      await eventually(async () => uploadsInProgress(childStagingDir) === 1)
      child.process.kill('SIGKILL')
      await once(child.process, 'exit')
      upload.abort()

      await eventually(async () => (await openTransactions()) === 0)
      expect(await storedState(registry.pool)).toEqual(before)
    } finally {
      child.process.kill('SIGKILL')
    }
  })

  it('still publishes after those failures', async () => {
    const data = randomBytes(3 * MiB + 5)
    const upload = streamingPost(baseUrl, token)
    await upload.write(partHead(filePart('file1', Buffer.alloc(0))))
    for (let at = 0; at < data.length; at += 64 * 1024) await upload.write(data.subarray(at, at + 64 * 1024))
    const json = messageToPublish({
      attachments: [
        {
          httpPartName: 'file1',
          isMainContent: true,
          digest: { digestMethod: 'sha_256', digestValue: sha256(data) },
        },
      ],
    })
    await upload.write(
      Buffer.concat([
        Buffer.from('\r\n'),
        partHead(jsonPart(json)),
        Buffer.from(JSON.stringify(json)),
        Buffer.from('\r\n'),
        CLOSING,
      ]),
    )
    await upload.end()
    const response = await upload.response
    expect(response.status, response.body).toBe(201)
  })
})

describe('Idempotency-Key under concurrent retries', () => {
  it('two identical requests racing: exactly one 201 and one 409, one message stored', async () => {
    const key = '"race-0001"'
    const data = randomBytes(2 * MiB)
    const json = JSON.stringify(messageToPublish())
    const head = Buffer.concat([
      partHead(jsonPart({})),
      Buffer.from(json),
      Buffer.from('\r\n'),
      partHead(filePart('file1', Buffer.alloc(0))),
    ])
    const uploads = [
      streamingPost(baseUrl, token, { 'idempotency-key': key }),
      streamingPost(baseUrl, token, { 'idempotency-key': key }),
    ]
    // Both send their JSON and half of the file: both pass the early duplicate check and write content...
    for (const upload of uploads) {
      await upload.write(head)
      await upload.write(data.subarray(0, MiB))
    }
    await eventually(async () => (await uploadsInProgress()) === 2)
    // ...then both finish at once: the unique index decides.
    await Promise.all(
      uploads.map(async (upload) => {
        await upload.write(Buffer.concat([data.subarray(MiB), Buffer.from('\r\n'), CLOSING]))
        await upload.end()
      }),
    )
    const responses = await Promise.all(uploads.map((upload) => upload.response))
    expect(responses.map((r) => r.status).sort()).toEqual([201, 409])
    expect(JSON.parse(responses.find((r) => r.status === 409)!.body).code).toBe('DUPLICATE_PUBLICATION')
    const { rows } = await registry.pool.query(
      'SELECT count(*)::int AS n FROM messages WHERE idempotency_key = $1',
      ['race-0001'],
    )
    expect(rows[0].n).toBe(1)
    await eventually(async () => (await openTransactions()) === 0)
  })
})

interface ServerProcess {
  process: ChildProcess
  url: string
}

/** The registry in a child process on the same database (test/support/publication-server.ts). */
async function startServerProcess(): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./support/publication-server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: registry.database.url,
      EBOX_ENVIRONMENT: 'test',
      LOG_LEVEL: 'silent',
      OAUTH_ISSUER: registry.issuer.issuer,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_JWKS_URL: registry.issuer.jwksUrl,
      PARTITION_SERVICE_URL: '',
      PUBLICATION_STAGING_DIR: childStagingDir,
      PUBLICATION_STAGING_MEMORY_FILE_BYTES: '0',
      ...contentStoreTestEnv(registry.database.name),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [line] = (await Promise.race([
    once(child.stdout!, 'data'),
    once(child, 'exit').then(() => {
      throw new Error('the registry process exited before listening')
    }),
  ])) as [Buffer]
  return { process: child, url: `http://127.0.0.1:${line.toString().trim()}` }
}
