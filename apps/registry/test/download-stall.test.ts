import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CONSULTED_ENTERPRISE,
  eventually,
  filePart,
  jsonPart,
  listen,
  messageToPublish,
  publish,
  publisherToken,
  seedPublicationData,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * A download whose client stops reading: the server's writes wait on a full socket, and the connection is closed
 * once nothing moved for HTTP_IDLE_TIMEOUT_MS, which releases the socket, the content stream and any connection
 * it held. Seen from the outside: the server drops the connection while the client still reads nothing, and the
 * client, reading at last, gets less than the Content-Length it was promised.
 */
let registry: TestRegistry
let baseUrl: string
const SIZE = 24 * 1024 * 1024
beforeAll(async () => {
  registry = await startTestRegistry({
    HTTP_IDLE_TIMEOUT_MS: '2000',
    PUBLICATION_MAX_FILE_BYTES: String(SIZE),
  })
  await seedPublicationData(registry.pool)
  baseUrl = await listen(registry.app)
})
afterAll(() => registry.close())

const connections = () =>
  new Promise<number>((resolve, reject) =>
    registry.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  )

describe('a download that is never read', () => {
  it('is cut once the answer stalls, and its connection and pool client are released', async () => {
    const published = await publish(registry.app, await registry.token(publisherToken), [
      jsonPart(messageToPublish()),
      filePart('file1', randomBytes(SIZE)),
    ])
    expect(published.statusCode).toBe(201)
    const { messageId } = published.json() as { messageId: string }
    const token = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: CONSULTED_ENTERPRISE })

    const { port } = new URL(baseUrl)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.pause()
    socket.write(
      `GET /ebox/messages/${messageId}/attachments/1/content HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    )
    await eventually(async () => (await connections()) === 1)
    // The client reads nothing: the server gives up on its side while the client still holds the socket.
    await eventually(async () => (await connections()) === 0, 60_000)
    await eventually(async () => registry.pool.idleCount === registry.pool.totalCount)

    let received = 0
    const ended = new Promise((resolve) => socket.once('close', resolve))
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
    })
    socket.resume()
    await ended
    expect(received).toBeGreaterThan(0)
    expect(received).toBeLessThan(SIZE)
  }, 90_000)
})
