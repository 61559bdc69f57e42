import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { get as httpGet, type IncomingMessage } from 'node:http'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  eventually,
  filePart,
  jsonPart,
  listen,
  messageToPublish,
  publish,
  publisherToken,
  SENDER,
  seedPublicationData,
  sha256,
  TYPE_MONTH,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** Publish → consult: the message is there at once, through every consultation route, with its bytes intact. */
let registry: TestRegistry
let senderToken: string
let readerToken: string
const RECIPIENT = '0800002352' // a new e-Box: nobody has consulted it yet

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: RECIPIENT })
})
afterAll(() => registry.close())

const get = (url: string) => registry.app.inject({ url, headers: { authorization: `Bearer ${readerToken}` } })

describe('publish → list → download', () => {
  const main = randomBytes(5 * 1024 * 1024 + 123)
  const annex = Buffer.from('name;amount\nJanvier;1234,56\n')
  let messageId: string

  it('publishes (JSON last) to an e-Box never consulted: NO_DIGITAL_USER', async () => {
    const response = await publish(registry.app, senderToken, [
      filePart('annex', annex, 'détail.csv', 'text/csv'),
      filePart('main', main, 'fiche.pdf'),
      jsonPart(
        messageToPublish({
          recipient: { eboxType: 'enterprise', enterpriseNumber: RECIPIENT },
          attachments: [
            {
              httpPartName: 'main',
              isMainContent: true,
              digest: { digestMethod: 'sha_256', digestValue: sha256(main) },
            },
            { httpPartName: 'annex', isMainContent: false, attachmentTitle: { fr: 'Détail' } },
          ],
          bodyContent: { fr: 'Voir la fiche jointe.' },
          businessDataList: [{ key: 'period', values: [{ fr: 'Janvier 2025' }] }],
        }),
      ),
    ])
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().code).toBe('NO_DIGITAL_USER')
    messageId = response.json().messageId
  })

  it('lists it at once, with digests and sizes in kB', async () => {
    const response = await get('/ebox/messages')
    expect(response.statusCode, response.body).toBe(200)
    const listed = response.json().items.find((item: { messageId: string }) => item.messageId === messageId)
    expect(listed).toMatchObject({
      messageId,
      subject: { fr: 'Votre fiche de paie', nl: 'Uw loonbrief', de: 'Votre fiche de paie' },
      readStatus: false,
      messageTypeId: TYPE_MONTH,
      senderOrganizationId: SENDER,
      sender: { eboxType: 'enterprise', enterpriseNumber: SENDER },
      partitionId: 'GENERAL',
      isBodyMainContent: false,
      attachments: {
        totalItems: 2,
        items: [
          {
            attachmentId: '1',
            fileName: 'fiche.pdf',
            isMainContent: true,
            mediaType: 'application/pdf',
            size: main.length / 1024,
            digest: { digestMethod: 'sha_256', digestValue: sha256(main) },
            isAttachmentSigned: false,
            contentHref: `${registry.config.publicBaseUrl}/ebox/messages/${messageId}/attachments/1/content`,
          },
          {
            attachmentId: '2',
            fileName: 'détail.csv',
            attachmentTitle: { fr: 'Détail', nl: 'Détail', de: 'Détail' },
            mediaType: 'text/csv',
            size: annex.length / 1024,
            digest: { digestMethod: 'sha_256', digestValue: sha256(annex) },
          },
        ],
      },
      businessDataList: { totalItems: 1, items: [{ key: 'period', values: [{ fr: 'Janvier 2025' }] }] },
    })
  })

  it('finds it by text search on the subject and business data', async () => {
    const bySubject = await get('/ebox/messages?q=FICHE%20de&qlang=fr')
    expect(bySubject.json().items.map((m: { messageId: string }) => m.messageId)).toContain(messageId)
    const byValue = await get('/ebox/messages?q=janvier%202025&qlang=fr')
    expect(byValue.json().items.map((m: { messageId: string }) => m.messageId)).toContain(messageId)
  })

  it('serves detail, attachment list, attachment and body', async () => {
    const detail = await get(`/ebox/messages/${messageId}`)
    expect(detail.statusCode).toBe(200)
    expect(detail.json().expirationDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/)
    const list = await get(`/ebox/messages/${messageId}/attachments`)
    expect(list.json().totalItems).toBe(2)
    const one = await get(`/ebox/messages/${messageId}/attachments/2`)
    expect(one.json()).toMatchObject({ attachmentId: '2', digest: { digestValue: sha256(annex) } })
    const body = await get(`/ebox/messages/${messageId}/body`)
    expect(body.json()).toEqual({
      bodyContent: { fr: 'Voir la fiche jointe.', nl: 'Voir la fiche jointe.', de: 'Voir la fiche jointe.' },
    })
  })

  it('downloads identical bytes', async () => {
    const response = await get(`/ebox/messages/${messageId}/attachments/1/content`)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^application\/pdf/)
    expect(response.rawPayload.equals(main)).toBe(true)
    const csv = await get(`/ebox/messages/${messageId}/attachments/2/content`)
    expect(csv.rawPayload.equals(annex)).toBe(true)
  })

  it('releases the database connection of a download dropped mid-way', async () => {
    const url = new URL(`/ebox/messages/${messageId}/attachments/1/content`, await listen(registry.app))
    const request = httpGet(url, { headers: { authorization: `Bearer ${readerToken}` } })
    const [response] = (await once(request, 'response')) as [IncomingMessage]
    expect(response.statusCode).toBe(200)
    await once(response, 'data')
    request.destroy()
    await eventually(async () => {
      const { rows } = await registry.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND query LIKE 'COPY%' AND state <> 'idle'`,
      )
      return rows[0]!.n === 0 && registry.pool.totalCount === registry.pool.idleCount
    })
    const again = await get(`/ebox/messages/${messageId}/attachments/1/content`)
    expect(again.rawPayload.equals(main)).toBe(true)
  })

  it('asks e-Box Preferences, not its own records: consulted here, still NO_DIGITAL_USER there', async () => {
    const { rows } = await registry.pool.query(
      `SELECT last_consultation_at IS NOT NULL AS consulted FROM eboxes WHERE recipient_id = $1`,
      [RECIPIENT],
    )
    expect(rows).toEqual([{ consulted: true }])
    const response = await publish(registry.app, senderToken, [
      jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: RECIPIENT } })),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode).toBe(201)
    expect(response.json().code).toBe('NO_DIGITAL_USER')
  })
})
