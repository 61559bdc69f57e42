import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  eventually,
  filePart,
  jsonPart,
  listen,
  messageToPublish,
  partHead,
  publish,
  publisherToken,
  seedPublicationData,
  storedState,
  streamingPost,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * A client that pauses mid-upload longer than the database lets a transaction sit idle
 * (idle_in_transaction_session_timeout = 2 × DB_STATEMENT_TIMEOUT_MS): PostgreSQL ends the session, the
 * publication fails cleanly, nothing stays, and the service keeps serving (a lost connection must not crash it).
 */
let registry: TestRegistry
let token: string
let baseUrl: string
beforeAll(async () => {
  registry = await startTestRegistry({ DB_STATEMENT_TIMEOUT_MS: '300' })
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
  baseUrl = await listen(registry.app)
})
afterAll(() => registry.close())

describe('a stalled upload', () => {
  it('fails with a 400 once the database ended the idle transaction; nothing stored; the service lives on', async () => {
    const before = await storedState(registry.pool)
    const upload = streamingPost(baseUrl, token)
    const json = JSON.stringify(messageToPublish())
    await upload.write(
      Buffer.concat([
        partHead(jsonPart({})),
        Buffer.from(`${json}\r\n`),
        partHead(filePart('file1', Buffer.alloc(0))),
      ]),
    )
    await upload.write(randomBytes(1024 * 1024))
    await new Promise((resolve) => setTimeout(resolve, 1500)) // > 600 ms idle in transaction
    await upload.write(randomBytes(1024 * 1024)).catch(() => {})
    await upload.write(Buffer.from('\r\n--x--\r\n')).catch(() => {})
    await upload.end()
    const response = await upload.response
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/paused/),
    })
    expect(await storedState(registry.pool)).toEqual(before)

    await eventually(async () => registry.pool.waitingCount === 0)
    const next = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(next.statusCode, next.body).toBe(201)
  })
})
