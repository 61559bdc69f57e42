import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  filePart,
  jsonPart,
  messageToPublish,
  publish,
  publisherToken,
  seedPublicationData,
  TYPE_MONTH,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** Issue 18: messages published within the same second are listed newest first, in publication order. */
let registry: TestRegistry
let readerToken: string
const RECIPIENT = '0800002352'
const COUNT = 8
/** Message ids in the order they were published. */
const published: string[] = []

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  const senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: RECIPIENT })
  for (let i = 0; i < COUNT; i++) {
    const response = await publish(registry.app, senderToken, [
      filePart('file1', Buffer.from(`document ${i}`)),
      jsonPart(
        messageToPublish({
          recipient: { eboxType: 'enterprise', enterpriseNumber: RECIPIENT },
          subject: { fr: `Fiche ${i}`, nl: `Loonbrief ${i}` },
        }),
      ),
    ])
    expect(response.statusCode, response.body).toBe(201)
    published.push(String(response.headers.location).split('/').pop() as string)
  }
  // All within the same second, as a busy sender's burst is: receipt dates are whole seconds.
  await registry.pool.query(
    `UPDATE messages SET published_at = date_trunc('second', now()) WHERE recipient_id = $1`,
    [RECIPIENT],
  )
})
afterAll(() => registry.close())

async function listIds(query: string): Promise<string[]> {
  const response = await registry.app.inject({
    url: `/ebox/messages?${query}`,
    headers: { authorization: `Bearer ${readerToken}` },
  })
  expect(response.statusCode, response.body).toBe(200)
  return response.json().items.map((item: { messageId: string }) => item.messageId)
}

describe('messages of the same second', () => {
  const newestFirst = () => [...published].reverse()

  it('are listed last published first (not by message id)', async () => {
    expect(published.every(Boolean)).toBe(true)
    expect(await listIds('pageSize=100')).toEqual(newestFirst())
  })

  it('keep that order across pages, with filters and with a search', async () => {
    const paged: string[] = []
    for (let page = 1; page <= COUNT / 2; page++) paged.push(...(await listIds(`page=${page}&pageSize=2`)))
    expect(paged).toEqual(newestFirst())
    expect(await listIds(`pageSize=100&messageTypeId=${TYPE_MONTH}`)).toEqual(newestFirst())
    expect(await listIds('pageSize=100&readStatus=false')).toEqual(newestFirst())
    expect(await listIds('pageSize=100&q=fiche&qlang=fr')).toEqual(newestFirst())
  })

  it('are not, by chance, in message id order (the test would then prove nothing)', () => {
    const byId = [...published].sort().reverse()
    expect(byId).not.toEqual(newestFirst())
  })
})
