import { createHash } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const M = DEMO.messages
const base = (id: string) => `/ebox/messages/${id}`
const demoMessage = (id: string) => registry.set.messages.find((m) => m.messageId === id)!
const readAt = async (id: string): Promise<Date | null> =>
  (await registry.pool.query('SELECT read_at FROM messages WHERE message_id = $1', [id])).rows[0].read_at
const readEvents = async (id: string): Promise<number> =>
  (
    await registry.pool.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE message_id = $1 AND event_type = 'readDocument'`,
      [id],
    )
  ).rows[0].n

describe('message detail', () => {
  it('answers each listed message exactly as the list shows it', async () => {
    const list = (await registry.get('/ebox/messages?pageSize=100')).json()
    for (const item of list.items) {
      const detail = await registry.get(base(item.messageId))
      expect(detail.statusCode).toBe(200)
      expect(detail.json()).toEqual(item)
      expect(detail.headers['cache-control']).toBe('private, no-store')
    }
  })

  it('carries the dates with their Brussels offset and no milliseconds', async () => {
    const message = (await registry.get(base(M.test))).json()
    for (const value of [message.receiptDate, message.expirationDate, message.readDate]) {
      expect(value).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/)
    }
    expect(new Date(message.receiptDate).getTime()).toBe(demoMessage(M.test).publishedAt.getTime())
  })

  it('shows business data, payment data, forTheAttentionOf and the sender partition', async () => {
    const business = (await registry.get(base(M.businessData))).json()
    expect(business.businessDataList.totalItems).toBe(2)
    expect(business.businessDataList.items[0]).toEqual({
      key: 'dossierNumber',
      name: { fr: 'Numéro de dossier', nl: 'Dossiernummer', de: 'Aktenzeichen' },
      values: [{ fr: 'Dossier 2024/TVA/778', nl: 'Dossier 2024/BTW/778', de: 'Akte 2024/MwSt/778' }],
    })
    expect(business.businessDataList.items[1].values[1]).toEqual({ nl: '2024', fr: '2024', de: '2024' })
    const payment = (await registry.get(base(M.paymentData))).json()
    expect(payment.paymentData).toMatchObject({ currency: 'EUR', amount: 1250, vatAmount: 262.5 })
    expect(payment.paymentData.dueDate).toMatch(/\+0[12]:00$/)
    const attention = (await registry.get(base(M.forTheAttentionOf))).json()
    expect(attention.forTheAttentionOf).toEqual({
      ssin: '85073003328',
      label: 'Service comptabilité — Mme Dupont',
    })
    const fromB = (await registry.get(base(M.sentFromPartitionB))).json()
    expect(fromB.sender).toEqual({
      eboxType: 'enterprise',
      enterpriseNumber: DEMO.secondEnterprise,
      partition: 'partitionBid',
    })
  })

  it('gives citizen messages no partition', async () => {
    const message = (await registry.get(base(DEMO.otherMessages.citizenPdf), registry.citizen)).json()
    expect(message.messageId).toBe(DEMO.otherMessages.citizenPdf)
    expect(message).not.toHaveProperty('partitionId')
  })
})

describe('attachments and content', () => {
  it('lists the attachments of a message, and each one alone', async () => {
    const list = (await registry.get(`${base(M.twoDocuments)}/attachments`)).json()
    expect(list.totalItems).toBe(2)
    expect(list.items.map((a: { attachmentId: string }) => a.attachmentId)).toEqual(['1', '2'])
    for (const attachment of list.items) {
      const one = await registry.get(`${base(M.twoDocuments)}/attachments/${attachment.attachmentId}`)
      expect(one.json()).toEqual(attachment)
    }
    const none = (
      await registry.get(`${base(DEMO.otherMessages.secondBody)}/attachments`, registry.second)
    ).json()
    expect(none).toEqual({ items: [], totalItems: 0 })
  })

  it('names the file in Content-Disposition, with an RFC 5987 UTF-8 name', async () => {
    const annex = await registry.get(`${base(M.twoDocuments)}/attachments/2/content`)
    expect(annex.headers['content-disposition']).toBe(
      `attachment; filename="Explications _ ete 2024.pdf"; filename*=UTF-8''Explications%20%E2%80%94%20%C3%A9t%C3%A9%202024.pdf`,
    )
    const main = await registry.get(`${base(M.mainPdf)}/attachments/1/content`)
    expect(main.headers['content-disposition']).toBe(
      `attachment; filename="message-1.pdf"; filename*=UTF-8''message-1.pdf`,
    )
  })

  it('answers HEAD with the same headers and no body, and marks nothing read', async () => {
    const path = `${base(M.registeredUnread)}/attachments/1/content`
    const head = await registry.app.inject({ method: 'HEAD', url: path, headers: registry.main })
    const size = demoMessage(M.registeredUnread).attachments[0]!.content.length
    expect(head.statusCode).toBe(200)
    expect(head.headers['content-length']).toBe(String(size))
    expect(head.headers['content-type']).toBe('application/pdf')
    expect(head.headers['content-disposition']).toContain('filename=')
    expect(head.rawPayload.length).toBe(0)
    expect(await readAt(M.registeredUnread)).toBeNull()
  })

  it('answers 404 for an attachment id the message does not have', async () => {
    for (const path of [`${base(M.mainPdf)}/attachments/9`, `${base(M.mainPdf)}/attachments/9/content`]) {
      const response = await registry.get(path)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
    }
  })
})

describe('body and payment data', () => {
  it('gives the body filled in three languages, 404 when there is none', async () => {
    const body = await registry.get(`${base(DEMO.otherMessages.citizenBody)}/body`, registry.citizen)
    expect(body.json()).toEqual({
      bodyContent: {
        nl: 'Uw pensioenoverzicht staat klaar.',
        fr: 'Uw pensioenoverzicht staat klaar.',
        de: 'Uw pensioenoverzicht staat klaar.',
      },
    })
    expect((await registry.get(`${base(M.mainPdf)}/body`)).statusCode).toBe(404)
  })

  it('gives the payment data, 404 when there is none', async () => {
    const payment = await registry.get(`${base(M.paymentData)}/paymentData`)
    expect(payment.statusCode).toBe(200)
    expect(payment.json()).toMatchObject({
      paymentDataId: 'PAY-11',
      iban: 'BE71096123456769',
      reference: { type: 'structured', value: '+++090/9337/55493+++' },
    })
    expect((await registry.get(`${base(M.mainPdf)}/paymentData`)).statusCode).toBe(404)
  })
})

describe('read marking', () => {
  it('an annex leaves the message unread; the main attachment marks it read once', async () => {
    const id = M.twoDocuments
    expect(await readAt(id)).toBeNull()
    await registry.get(`${base(id)}/attachments/2/content`)
    await registry.get(`${base(id)}/attachments/2`)
    await registry.get(`${base(id)}/attachments`)
    await registry.get(base(id))
    expect(await readAt(id)).toBeNull()
    expect(await readEvents(id)).toBe(0)

    await registry.get(`${base(id)}/attachments/1/content`)
    const first = await readAt(id)
    expect(first).not.toBeNull()
    const detail = (await registry.get(base(id))).json()
    expect(detail.readStatus).toBe(true)
    expect(new Date(detail.readDate).getTime()).toBe(Math.floor(first!.getTime() / 1000) * 1000)

    await registry.get(`${base(id)}/attachments/1/content`)
    expect(await readAt(id)).toEqual(first)
    expect(await readEvents(id)).toBe(1)
  })

  it('queues readDocument with the message facts in the outbox', async () => {
    await registry.get(`${base(M.mainPdf)}/attachments/1/content`)
    const { rows } = await registry.pool.query(
      `SELECT payload FROM outbox_events WHERE message_id = $1 AND event_type = 'readDocument'`,
      [M.mainPdf],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0].payload).toMatchObject({
      eventType: 'readDocument',
      enterpriseId: DEMO.enterprise,
      messageId: M.mainPdf,
      registeredMail: false,
      messageTypeId: 'contribution-notice',
      senderOrganizationId: '0220916609',
      senderApplicationId: 'socialsecurity-letters',
    })
    expect(rows[0].payload.receiptDate).toMatch(/\+0[12]:00$/)
  })

  it('the body marks a message whose body is the main content', async () => {
    const id = M.bodyMainContent
    await registry.get(`${base(id)}/attachments/1/content`) // its CSV annex
    expect(await readAt(id)).toBeNull()
    const body = await registry.get(`${base(id)}/body`)
    expect(body.statusCode).toBe(200)
    expect(await readAt(id)).not.toBeNull()
    expect(await readEvents(id)).toBe(1)
  })

  it('citizen messages are marked read without an EES event', async () => {
    const id = DEMO.otherMessages.citizenPdf
    await registry.get(`${base(id)}/attachments/1/content`, registry.citizen)
    expect(await readAt(id)).not.toBeNull()
    const { rows } = await registry.pool.query(
      'SELECT count(*)::int AS n FROM outbox_events WHERE message_id = $1',
      [id],
    )
    expect(rows[0].n).toBe(0)
  })

  it('counts the change in the statistics', async () => {
    const before = (await registry.get('/ebox/statistics')).json()
    const id = M.inNoAccessPartition
    await registry.get(`${base(id)}/attachments/1/content`)
    const after = (await registry.get('/ebox/statistics')).json()
    expect(after.unreadMessages).toBe(before.unreadMessages - 1)
    const partition = (s: { partitions: { partitionId: string; unreadMessages: number }[] }) =>
      s.partitions.find((p) => p.partitionId === DEMO.partitions.noAccess)!.unreadMessages
    expect(partition(after)).toBe(partition(before) - 1)
  })
})

describe('another e-Box answers exactly like a message that does not exist', () => {
  const unknown = 'de3a0000-0000-4000-8000-999999999999'
  const routes = (id: string) => [
    base(id),
    `${base(id)}/attachments`,
    `${base(id)}/attachments/1`,
    `${base(id)}/attachments/1/content`,
    `${base(id)}/body`,
    `${base(id)}/paymentData`,
  ]
  const bodyWithoutId = (body: string) => JSON.stringify({ ...JSON.parse(body), id: undefined })

  it.each([
    ['the second enterprise e-Box', () => registry.second],
    ['the citizen e-Box', () => registry.citizen],
  ])('%s gets 404 on every per-message route of the main e-Box', async (_, headers) => {
    for (const id of [M.mainPdf, M.paymentData, M.bodyMainContent]) {
      const pairs = routes(id).map((route, index): [string, string] => [route, routes(unknown)[index]!])
      for (const [foreign, missing] of pairs) {
        const a = await registry.get(foreign, headers())
        const b = await registry.get(missing, headers())
        expect(a.statusCode, foreign).toBe(404)
        expect(bodyWithoutId(a.body)).toBe(bodyWithoutId(b.body))
        const head = await registry.app.inject({ method: 'HEAD', url: foreign, headers: headers() })
        expect(head.statusCode, `HEAD ${foreign}`).toBe(404)
      }
    }
    expect(await readAt(M.registeredUnread)).toBeNull()
  })

  it('the main e-Box gets 404 on the messages of the others', async () => {
    for (const id of Object.values(DEMO.otherMessages)) {
      for (const route of routes(id)) expect((await registry.get(route)).statusCode, route).toBe(404)
    }
  })

  it('a malformed message id is simply not found', async () => {
    for (const id of ['1', 'not-a-uuid', "1' OR '1'='1"]) {
      const response = await registry.get(base(encodeURIComponent(id)))
      expect(response.statusCode).toBe(404)
    }
  })

  it('reading needs a consultation scope', async () => {
    const token = await registry.token({ scopes: [SCOPES.referenceData] })
    const response = await registry.get(base(M.mainPdf), { authorization: `Bearer ${token}` })
    expect(response.statusCode).toBe(403)
    expect((await registry.app.inject({ url: base(M.mainPdf) })).statusCode).toBe(401)
  })
})

// Last: reading every main content marks the whole e-Box read.
describe('every content of the demo set', () => {
  it('streams every content of the demo set with its digest, type, length and file name', async () => {
    for (const message of registry.set.messages.filter(
      (m) => m.recipient.eboxType === 'enterprise' && m.recipient.enterpriseNumber === DEMO.enterprise,
    )) {
      for (const attachment of message.attachments) {
        const path = `${base(message.messageId)}/attachments/${attachment.attachmentId}`
        const meta = (await registry.get(path)).json()
        const content = await registry.get(`${path}/content`)
        expect(content.statusCode).toBe(200)
        expect(content.rawPayload.equals(attachment.content)).toBe(true)
        expect(createHash('sha256').update(content.rawPayload).digest('base64url')).toBe(
          meta.digest.digestValue,
        )
        expect(meta.size).toBe(attachment.content.length / 1024)
        expect(content.headers['content-type']).toBe(attachment.mediaType)
        expect(content.headers['content-length']).toBe(String(attachment.content.length))
        expect(content.headers['cache-control']).toBe('private, no-store')
        expect(meta.contentHref).toBe(`${registry.config.publicBaseUrl}${path}/content`)
      }
    }
  })
})
