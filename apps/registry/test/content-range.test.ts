import { randomBytes } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHUNK_BYTES } from '../src/db/content-store.ts'
import {
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  publish,
  publisherToken,
  seedPublicationData,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** HTTP Range on attachment content (RFC 9110 §14), with the store of the run (CONTENT_STORE=postgres or s3). */
let registry: TestRegistry
let readerToken: string
let url: string
// Three chunks and a bit: ranges cross chunk boundaries of the PostgreSQL store.
const content = randomBytes(3 * CHUNK_BYTES + 1000)
const size = content.length

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  const senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: NEW_ENTERPRISE })
  const published = await publish(registry.app, senderToken, [
    jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE } })),
    filePart('file1', content),
  ])
  expect(published.statusCode, published.body).toBe(201)
  url = `/ebox/messages/${published.json().messageId}/attachments/1/content`
})
afterAll(() => registry.close())

const get = (range?: string, method: 'GET' | 'HEAD' = 'GET') =>
  registry.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${readerToken}`, ...(range !== undefined && { range }) },
  })

describe('Range on attachment content', () => {
  it('answers the whole content with Accept-Ranges when no range is asked for', async () => {
    const response = await get()
    expect(response.statusCode).toBe(200)
    expect(response.headers['accept-ranges']).toBe('bytes')
    expect(response.headers['content-length']).toBe(String(size))
    expect(response.rawPayload.equals(content)).toBe(true)
  })

  it.each([
    ['the first bytes', 'bytes=0-9', 0, 9],
    [
      'a range across two chunks',
      `bytes=${CHUNK_BYTES - 5}-${CHUNK_BYTES + 4}`,
      CHUNK_BYTES - 5,
      CHUNK_BYTES + 4,
    ],
    [
      'a range within a later chunk',
      `bytes=${2 * CHUNK_BYTES + 7}-${2 * CHUNK_BYTES + 99}`,
      2 * CHUNK_BYTES + 7,
      2 * CHUNK_BYTES + 99,
    ],
    ['an open range to the end', `bytes=${CHUNK_BYTES}-`, CHUNK_BYTES, size - 1],
    ['the last bytes (suffix)', 'bytes=-1500', size - 1500, size - 1],
    ['a range past the end, clamped', `bytes=${size - 3}-${size + 1000}`, size - 3, size - 1],
    ['a suffix longer than the content', `bytes=-${size + 50}`, 0, size - 1],
    ['one byte', 'bytes=12345-12345', 12345, 12345],
  ])('answers 206 with %s', async (_label, range, start, end) => {
    const response = await get(range)
    expect(response.statusCode, response.body.slice(0, 200)).toBe(206)
    expect(response.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`)
    expect(response.headers['content-length']).toBe(String(end - start + 1))
    expect(response.headers['accept-ranges']).toBe('bytes')
    expect(response.rawPayload.equals(content.subarray(start, end + 1))).toBe(true)
  })

  it('answers 416 with a StatusMessage and the size when the range starts past the end', async () => {
    for (const range of [`bytes=${size}-`, `bytes=${size + 10}-${size + 20}`, 'bytes=-0']) {
      const response = await get(range)
      expect(response.statusCode, range).toBe(416)
      expect(response.headers['content-range']).toBe(`bytes */${size}`)
      expect(response.json()).toMatchObject({ code: 'RANGE_NOT_SATISFIABLE', environment: 'test' })
      expect(response.json().message).toContain(String(size))
    }
  })

  it('answers the whole content to several ranges, a unit other than bytes, or a malformed range', async () => {
    for (const range of ['bytes=0-1,5-9', 'items=0-1', 'bytes=abc', 'bytes=9-3']) {
      const response = await get(range)
      expect(response.statusCode, range).toBe(200)
      expect(response.rawPayload.length).toBe(size)
    }
  })

  it('answers HEAD with a range with the headers of the 206 and no body', async () => {
    const response = await get('bytes=100-199', 'HEAD')
    expect(response.statusCode).toBe(206)
    expect(response.headers['content-range']).toBe(`bytes 100-199/${size}`)
    expect(response.headers['content-length']).toBe('100')
    expect(response.rawPayload.length).toBe(0)
  })

  it('declares 206 and 416 in the OpenAPI document', async () => {
    const document = registry.app.swagger() as unknown as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
    }
    const responses =
      document.paths['/ebox/messages/{messageId}/attachments/{attachmentId}/content']!.get!.responses
    expect(Object.keys(responses)).toEqual(expect.arrayContaining(['200', '206', '416', '503']))
  })
})
