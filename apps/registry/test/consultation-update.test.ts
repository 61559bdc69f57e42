import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoDataSet } from '../src/demo/seed.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const M = DEMO.messages
type Item = { messageId: string; visible?: boolean; partitionId?: string }

function patch(items: Item[], headers = registry.main, contentType = 'application/merge-patch+json') {
  return registry.app.inject({
    method: 'PATCH',
    url: '/ebox/messages',
    headers: { ...headers, 'content-type': contentType },
    payload: JSON.stringify({ items, totalItems: items.length }),
  })
}

async function state(ids: string[]) {
  const { rows } = await registry.pool.query(
    'SELECT message_id, visible, partition_id FROM messages WHERE message_id = ANY($1::uuid[]) ORDER BY message_id',
    [ids],
  )
  return rows
}

describe('PATCH /ebox/messages', () => {
  it('hides and shows messages (merge patch)', async () => {
    const response = await patch([{ messageId: M.mainPdf, visible: false }])
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe('')
    expect((await registry.get(`/ebox/messages/${M.mainPdf}`)).json().visible).toBe(false)
    const hidden = (await registry.get('/ebox/messages?visible=false&pageSize=100')).json()
    expect(hidden.items.map((m: Item) => m.messageId)).toContain(M.mainPdf)
    expect((await patch([{ messageId: M.mainPdf, visible: true }])).statusCode).toBe(200)
    expect((await registry.get(`/ebox/messages/${M.mainPdf}`)).json().visible).toBe(true)
  })

  it('moves messages between partitions, and the statistics follow', async () => {
    const before = (await registry.get('/ebox/statistics')).json()
    const moves = [
      ...M.toMoveFromGeneral.map((messageId) => ({ messageId, partitionId: DEMO.partitions.b })),
      ...M.toMoveFromToDelete.map((messageId) => ({ messageId, partitionId: DEMO.partitions.general })),
    ]
    const response = await patch(moves, registry.main, 'application/json')
    expect(response.statusCode).toBe(200)
    for (const move of moves) {
      const message = (await registry.get(`/ebox/messages/${move.messageId}`)).json()
      expect(message.partitionId).toBe(move.partitionId)
    }
    const inB = (await registry.get(`/ebox/messages?partitionId=${DEMO.partitions.b}&pageSize=100`)).json()
    expect(inB.totalItems).toBe(DEMO.counts.listedPerPartition.partitionBid + 2)
    const after = (await registry.get('/ebox/statistics')).json()
    const total = (s: typeof before, id: string) =>
      s.partitions.find((p: { partitionId: string }) => p.partitionId === id).totalMessages
    expect(total(after, 'partitionBid')).toBe(total(before, 'partitionBid') + 2)
    expect(total(after, 'partitionToDelete')).toBe(total(before, 'partitionToDelete') - 2)
    expect(total(after, 'GENERAL')).toBe(total(before, 'GENERAL'))
    expect(after.totalMessages).toBe(before.totalMessages)
  })

  it('changes visibility and partition of one message at once', async () => {
    const response = await patch([
      { messageId: M.test, visible: false, partitionId: DEMO.partitions.toDelete },
    ])
    expect(response.statusCode).toBe(200)
    expect(await state([M.test])).toEqual([
      { message_id: M.test, visible: false, partition_id: 'partitionToDelete' },
    ])
  })

  describe('all or nothing', () => {
    const ours = [M.hidden, M.signed]
    const foreign = DEMO.otherMessages.secondPdf
    const unknown = 'de3a0000-0000-4000-8000-999999999999'

    it.each([
      ['a message of another e-Box', foreign],
      ['a message that does not exist', unknown],
      ['a malformed id', 'not-a-uuid'],
    ])('404 when one id is %s, and nothing changes', async (_, bad) => {
      const before = await state([...ours, foreign])
      const response = await patch([
        { messageId: ours[0]!, visible: true },
        { messageId: ours[1]!, partitionId: DEMO.partitions.b },
        { messageId: bad, visible: false },
      ])
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
      expect(response.body).not.toContain(bad)
      expect(await state([...ours, foreign])).toEqual(before)
    })

    it('the foreign e-Box and the unknown id get the same answer', async () => {
      const a = await patch([{ messageId: foreign, visible: false }])
      const b = await patch([{ messageId: unknown, visible: false }])
      expect(a.statusCode).toBe(404)
      expect({ ...a.json(), id: '' }).toEqual({ ...b.json(), id: '' })
    })

    it('400 for a partition the e-Box does not have, and nothing changes', async () => {
      const before = await state(ours)
      const response = await patch([
        { messageId: ours[0]!, visible: false },
        { messageId: ours[1]!, partitionId: 'typo-partition' },
      ])
      expect(response.statusCode).toBe(400)
      expect(response.json().message).toContain('typo-partition')
      expect(await state(ours)).toEqual(before)
    })
  })

  describe('400 for malformed bodies', () => {
    it.each([
      ['no items', { totalItems: 0 }],
      ['empty items', { items: [], totalItems: 0 }],
      ['an item without a change', { items: [{ messageId: M.mainPdf }], totalItems: 1 }],
      ['visible not a boolean', { items: [{ messageId: M.mainPdf, visible: 'no' }], totalItems: 1 }],
      ['an unknown property', { items: [{ messageId: M.mainPdf, isRead: true }], totalItems: 1 }],
      ['null visible', { items: [{ messageId: M.mainPdf, visible: null }], totalItems: 1 }],
      [
        'an id twice',
        {
          items: [
            { messageId: M.mainPdf, visible: true },
            { messageId: M.mainPdf, visible: false },
          ],
          totalItems: 2,
        },
      ],
    ])('%s', async (_, body) => {
      const response = await registry.app.inject({
        method: 'PATCH',
        url: '/ebox/messages',
        headers: { ...registry.main, 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify(body),
      })
      expect(response.statusCode, response.body).toBe(400)
      expect(response.json()).toMatchObject({ code: 'INVALID_INPUT' })
    })

    it('415 for another media type', async () => {
      const response = await patch([{ messageId: M.mainPdf, visible: true }], registry.main, 'text/plain')
      expect(response.statusCode).toBe(415)
      expect(response.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' })
    })

    it('400 for a citizen e-Box asked to move a message to a partition', async () => {
      const response = await patch(
        [{ messageId: DEMO.otherMessages.citizenPdf, partitionId: 'GENERAL' }],
        registry.citizen,
      )
      expect(response.statusCode).toBe(400)
      const hidden = await patch(
        [{ messageId: DEMO.otherMessages.citizenPdf, visible: false }],
        registry.citizen,
      )
      expect(hidden.statusCode).toBe(200)
    })
  })

  it('the demo data set comes back whole after a reset', async () => {
    await seedDemoDataSet(registry.pool)
    const stats = (await registry.get('/ebox/statistics')).json()
    expect(stats.totalMessages).toBe(DEMO.counts.listed)
    for (const partition of stats.partitions) {
      expect(partition.totalMessages).toBe(
        DEMO.counts.listedPerPartition[partition.partitionId as keyof typeof DEMO.counts.listedPerPartition],
      )
    }
  })
})
