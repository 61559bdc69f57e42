import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  CLOSING,
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

/** The configurable limits of publication, with small values: per file, per request, attachments per message. */
const MAX_FILE = 100_000
const MAX_REQUEST = 250_000
const MAX_ATTACHMENTS = 3

let registry: TestRegistry
let token: string
let baseUrl: string
beforeAll(async () => {
  registry = await startTestRegistry({
    PUBLICATION_MAX_FILE_BYTES: String(MAX_FILE),
    PUBLICATION_MAX_REQUEST_BYTES: String(MAX_REQUEST),
    PUBLICATION_MAX_ATTACHMENTS: String(MAX_ATTACHMENTS),
  })
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
  baseUrl = await listen(registry.app)
})
afterAll(() => registry.close())

const attachments = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ httpPartName: `f${i}`, isMainContent: i === 0 }))
const files = (count: number, size: number) =>
  Array.from({ length: count }, (_, i) => filePart(`f${i}`, randomBytes(size)))

let before: Record<string, number>
beforeEach(async () => {
  before = await storedState(registry.pool)
})

describe('publication limits', () => {
  it('accepts a file of exactly the per-file limit', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', randomBytes(MAX_FILE)),
    ])
    expect(response.statusCode, response.body).toBe(201)
  })

  it('413 PAYLOAD_TOO_LARGE for a file one byte over, nothing stored', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', randomBytes(MAX_FILE + 1)),
    ])
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('file1'),
    })
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('413 for a request over the per-request limit announced by Content-Length', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish({ attachments: attachments(3) })),
      ...files(3, 90_000),
    ])
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('PAYLOAD_TOO_LARGE')
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('413 for a chunked request that grows over the per-request limit while streaming', async () => {
    const upload = streamingPost(baseUrl, token)
    const json = JSON.stringify(messageToPublish({ attachments: attachments(3) }))
    await upload.write(Buffer.concat([partHead(jsonPart({})), Buffer.from(`${json}\r\n`)]))
    for (const part of files(3, 90_000)) {
      await upload.write(Buffer.concat([partHead(part), part.data!, Buffer.from('\r\n')])).catch(() => {})
    }
    await upload.write(CLOSING).catch(() => {})
    await upload.end()
    const response = await upload.response
    expect(response.status).toBe(413)
    expect(JSON.parse(response.body)).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining(String(MAX_REQUEST)),
    })
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('400 for more attachments than allowed, declared or sent', async () => {
    const declared = await publish(registry.app, token, [
      jsonPart(messageToPublish({ attachments: attachments(4) })),
      ...files(4, 10),
    ])
    expect(declared.statusCode).toBe(400)
    expect(declared.json().message).toMatch(/at most 3 attachments/)
    const sent = await publish(registry.app, token, [
      ...files(4, 10),
      jsonPart(messageToPublish({ attachments: attachments(3) })),
    ])
    expect(sent.statusCode).toBe(400)
    expect(sent.json().code).toBe('INVALID_INPUT')
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('the connection stays usable after a refused upload', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode).toBe(201)
  })
})
