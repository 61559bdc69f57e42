import { requestedActionOf, SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { statistics } from '../src/repositories/statistics.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { listed } from './support/expected.ts'
import { scopeFor } from './support/scope.ts'

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const DAY = 86_400_000

describe('GET /ebox/statistics', () => {
  it('counts the listed messages of the e-Box, in total and per partition', async () => {
    const response = await registry.get('/ebox/statistics')
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe('private, no-store')
    const body = response.json()
    expect(body).toMatchObject({
      totalMessages: DEMO.counts.listed,
      unreadMessages: DEMO.counts.unreadListed,
      expiringSoonMessages: DEMO.counts.unreadExpiringSoon,
      registeredMessages: DEMO.counts.registered,
      actionRequiredMessages: 1,
    })
    const messages = listed(registry.set)
    const soon = (m: (typeof messages)[number]) => !m.readAt && m.expiresAt.getTime() <= Date.now() + 15 * DAY
    expect(body.partitions.map((p: { partitionId: string }) => p.partitionId)).toEqual([
      'GENERAL',
      'partitionBid',
      'partitionIdNoAccess',
      'partitionToDelete',
    ])
    for (const partition of body.partitions) {
      const inPartition = messages.filter((m) => m.partitionId === partition.partitionId)
      expect(partition).toEqual({
        partitionId: partition.partitionId,
        totalMessages: inPartition.length,
        unreadMessages: inPartition.filter((m) => !m.readAt).length,
        expiringSoonMessages: inPartition.filter(soon).length,
        registeredMessages: inPartition.filter((m) => m.isRegisteredMail).length,
        unreadRegisteredMessages: inPartition.filter((m) => m.isRegisteredMail && !m.readAt).length,
        actionRequiredMessages: inPartition.filter((m) => requestedActionOf(m.businessDataList)).length,
      })
    }
  })

  it('agrees with the list counts', async () => {
    const stats = (await registry.get('/ebox/statistics')).json()
    const unread = (await registry.get('/ebox/messages?readStatus=false')).json()
    const registered = (await registry.get('/ebox/messages?registeredMail=true')).json()
    expect(unread.totalItems).toBe(stats.unreadMessages)
    expect(registered.totalItems).toBe(stats.registeredMessages)
  })

  it('counts a citizen e-Box without partitions', async () => {
    const body = (await registry.get('/ebox/statistics', registry.citizen)).json()
    expect(body.totalMessages).toBe(DEMO.counts.citizenEbox)
    expect(body.partitions).toEqual([])
  })

  it('counts only the partitions a human user may see', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: DEMO.enterprise }, [DEMO.partitions.b])
    const body = await statistics(registry.pool, scope)
    expect(body.totalMessages).toBe(DEMO.counts.listedPerPartition.partitionBid)
    expect(body.partitions.map((p) => p.partitionId)).toEqual([DEMO.partitions.b])
  })

  it('is open to the summaryownebox scope, closed to reference data only', async () => {
    const own = await registry.token({ scopes: [SCOPES.summaryOwnEbox] })
    expect((await registry.get('/ebox/statistics', { authorization: `Bearer ${own}` })).statusCode).toBe(200)
    const refdata = await registry.token({ scopes: [SCOPES.referenceData] })
    expect((await registry.get('/ebox/statistics', { authorization: `Bearer ${refdata}` })).statusCode).toBe(
      403,
    )
  })

  it('counts an e-Box that has no message', async () => {
    const empty = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: '0474028805' })
    const body = (await registry.get('/ebox/statistics', { authorization: `Bearer ${empty}` })).json()
    expect(body).toEqual({
      totalMessages: 0,
      unreadMessages: 0,
      expiringSoonMessages: 0,
      registeredMessages: 0,
      unreadRegisteredMessages: 0,
      actionRequiredMessages: 0,
      partitions: [
        {
          partitionId: 'GENERAL',
          totalMessages: 0,
          unreadMessages: 0,
          expiringSoonMessages: 0,
          registeredMessages: 0,
          unreadRegisteredMessages: 0,
          actionRequiredMessages: 0,
        },
      ],
    })
  })
})

describe('GET /ebox (v2.1 summary)', () => {
  it('gives counts, last receipt, last consultation and size', async () => {
    await registry.get('/ebox/messages')
    const body = (await registry.get('/ebox')).json()
    const messages = listed(registry.set)
    expect(body.numberOfMessages).toBe(DEMO.counts.listed)
    expect(body.numberOfUnreadMessages).toBe(DEMO.counts.unreadListed)
    expect(new Date(body.lastReceiptDate).getTime()).toBe(messages[0]!.publishedAt.getTime())
    expect(body.lastConsultationDate).toMatch(/\+0[12]:00$/)
    const bytes = messages.flatMap((m) => m.attachments).reduce((n, a) => n + a.content.length, 0)
    expect(body.eboxSize).toBe(bytes / 1024)
  })

  it('leaves out the dates an empty e-Box does not have', async () => {
    const empty = await registry.token({ scopes: [SCOPES.summaryOwnEbox], cbe: '0212148896' })
    const body = (await registry.get('/ebox', { authorization: `Bearer ${empty}` })).json()
    expect(body).toEqual({ numberOfMessages: 0, numberOfUnreadMessages: 0, eboxSize: 0 })
  })
})
