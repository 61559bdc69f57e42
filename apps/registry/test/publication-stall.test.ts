import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BOUNDARY,
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
 * (idle_in_transaction_session_timeout = 2 × DB_STATEMENT_TIMEOUT_MS): no transaction is open while the body
 * arrives (it is staged first), so the pause costs nothing and the publication succeeds once the body is in.
 * Uploads that stall for good are cut with 408: test/security-publication.test.ts.
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

describe('a paused upload', () => {
  it('succeeds after a pause longer than a transaction may sit idle: no transaction waits for the body', async () => {
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
    const data = randomBytes(2 * 1024 * 1024)
    await upload.write(data.subarray(0, 1024 * 1024))
    await new Promise((resolve) => setTimeout(resolve, 1500)) // > 600 ms idle in transaction
    await upload.write(data.subarray(1024 * 1024))
    await upload.write(Buffer.from(`\r\n--${BOUNDARY}--\r\n`))
    await upload.end()
    const response = await upload.response
    expect(response.status, response.body).toBe(201)
    const after = await storedState(registry.pool)
    expect(after.messages).toBe((before.messages ?? 0) + 1)

    await eventually(async () => registry.pool.waitingCount === 0)
    const next = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(next.statusCode, next.body).toBe(201)
  })
})
