import { createHash } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '../src/audit/verify.ts'
import { runScheduler } from '../src/repositories/scheduler.ts'
import { deliverBatch } from '../src/worker/delivery.ts'
import { type EesStub, startEesStub } from './support/ees-stub.ts'
import { eesClientFor, FAST_DELIVERY, outboxRows } from './support/federation-fixtures.ts'
import {
  APP,
  CITIZEN,
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  publish,
  publisherToken,
  SENDER,
  seedPublicationData,
  sha256,
  TYPE_CITIZEN,
  TYPE_MONTH,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** The real routes: publication and consultation queue EES events and leave audit records; the worker delivers. */
let registry: TestRegistry
let stub: EesStub
let senderToken: string
let readerToken: string

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  stub = await startEesStub({ tokenIsValid: (token) => registry.issuer.introspect(token).active })
  senderToken = await registry.token(publisherToken)
  readerToken = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: CONSULTED_ENTERPRISE })
})
afterAll(async () => {
  await stub.close()
  await registry.close()
})

const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex')
const read = (url: string) =>
  registry.app.inject({ url, headers: { authorization: `Bearer ${readerToken}` } })
async function auditRecords() {
  const { rows } = await registry.pool.query<{
    seq: string
    method: string
    url: string
    status: number
    client_id: string
    token_hash: string
    details: Record<string, unknown>
  }>('SELECT * FROM audit_records ORDER BY seq')
  return rows
}

describe('publish → consult → EES, with the audit trail', () => {
  const pdf = Buffer.from('%PDF-1.7 main content')
  let read1: string
  let unread: string

  it('publication queues newDocument in its transaction and leaves one audit record', async () => {
    const publishOne = async () => {
      const response = await publish(registry.app, senderToken, [
        filePart('file1', pdf),
        jsonPart(
          messageToPublish({
            isRegisteredMail: true,
            attachments: [
              {
                httpPartName: 'file1',
                isMainContent: true,
                digest: { digestMethod: 'sha_256', digestValue: sha256(pdf) },
              },
            ],
          }),
        ),
      ])
      expect(response.statusCode, response.body).toBe(201)
      return response.json().messageId as string
    }
    read1 = await publishOne()
    unread = await publishOne()

    const events = await outboxRows(registry.pool)
    expect(events.map((event) => [event.event_type, event.message_id])).toEqual([
      ['newDocument', read1],
      ['newDocument', unread],
    ])
    expect(events[0]!.payload).toMatchObject({
      eventType: 'newDocument',
      eventCorrelationId: events[0]!.event_id,
      enterpriseId: CONSULTED_ENTERPRISE,
      messageId: read1,
      receiptDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/),
      expirationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$/),
      registeredMail: true,
      messageTypeId: TYPE_MONTH,
      senderOrganizationId: SENDER,
      senderApplicationId: APP,
    })

    const records = await auditRecords()
    expect(records).toHaveLength(2)
    expect(records[0]).toMatchObject({
      method: 'POST',
      url: '/ebox/messages',
      status: 201,
      token_hash: tokenHash(senderToken),
      details: {
        messageId: read1,
        attachments: [expect.objectContaining({ digestValue: sha256(pdf), digestMethod: 'sha_256' })],
      },
    })
  })

  it('a refused publication leaves neither an event nor an audit record', async () => {
    const before = {
      events: (await outboxRows(registry.pool)).length,
      records: (await auditRecords()).length,
    }
    const response = await publish(registry.app, senderToken, [jsonPart(messageToPublish())])
    expect(response.statusCode).toBe(400)
    expect((await outboxRows(registry.pool)).length).toBe(before.events)
    expect((await auditRecords()).length).toBe(before.records)
  })

  it('a citizen e-Box gets no EES event (EES is enterprise-only), but the publication is audited', async () => {
    const before = (await auditRecords()).length
    const response = await publish(registry.app, senderToken, [
      filePart('file1', pdf),
      jsonPart(
        messageToPublish({ recipient: { eboxType: 'citizen', ssin: CITIZEN }, messageTypeId: TYPE_CITIZEN }),
      ),
    ])
    expect(response.statusCode, response.body).toBe(201)
    const citizenMessage = response.json().messageId
    expect((await outboxRows(registry.pool)).some((event) => event.message_id === citizenMessage)).toBe(false)
    expect((await auditRecords()).length).toBe(before + 1)
  })

  it('reads are audited with their details; the first read of the main content queues readDocument once', async () => {
    const before = (await auditRecords()).length
    const list = await read('/ebox/messages')
    expect(list.statusCode).toBe(200)
    const content = await read(`/ebox/messages/${read1}/attachments/1/content`)
    expect(content.statusCode).toBe(200)
    expect(content.rawPayload.equals(pdf)).toBe(true)
    expect((await read(`/ebox/messages/${read1}/attachments/1/content`)).statusCode).toBe(200)
    expect((await read(`/ebox/messages/${crypto.randomUUID()}`)).statusCode).toBe(404)

    const records = (await auditRecords()).slice(before)
    expect(records.map((record) => [record.method, record.url, record.status])).toEqual([
      ['GET', '/ebox/messages', 200],
      ['GET', `/ebox/messages/${read1}/attachments/1/content`, 200],
      ['GET', `/ebox/messages/${read1}/attachments/1/content`, 200],
    ])
    expect(records[0]!.details.messageIds).toEqual(expect.arrayContaining([read1, unread]))
    expect(records[1]!.details).toMatchObject({ messageId: read1, attachmentId: '1' })
    expect(records[1]!.token_hash).toBe(tokenHash(readerToken))

    const readEvents = (await outboxRows(registry.pool)).filter(
      (event) => event.event_type === 'readDocument',
    )
    expect(readEvents.map((event) => event.message_id)).toEqual([read1])
  })

  it('the worker delivers them in order; the scheduler reminds only the unread message', async () => {
    const ees = await eesClientFor(registry.issuer, stub.url)
    const now = new Date(Date.now() + 1_000)
    while ((await deliverBatch(registry.pool, ees, () => now, FAST_DELIVERY)).claimed > 0) {}
    expect(stub.received.map((event) => [event.eventType, event.messageId])).toEqual([
      ['newDocument', read1],
      ['newDocument', unread],
      ['readDocument', read1],
    ])

    const later = new Date(Date.now() + 16 * 24 * 3600 * 1000)
    expect(await runScheduler(registry.pool, later)).toEqual({ reminders: 1, alerts: 0 })
    while ((await deliverBatch(registry.pool, ees, () => later, FAST_DELIVERY)).claimed > 0) {}
    expect(stub.received.at(-1)).toMatchObject({ eventType: 'newDocumentReminder', messageId: unread })
    expect((await outboxRows(registry.pool)).every((event) => event.status === 'delivered')).toBe(true)
  })

  it('the audit chain of it all verifies', async () => {
    expect(await verifyAuditChain(registry.pool)).toMatchObject({ ok: true, records: 6 })
  })
})
