import { DEMO, type DemoMessage } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMessages } from '../src/repositories/messages/list.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { brusselsDay, brusselsDayStart, listed, listOrder, recipientIdOf } from './support/expected.ts'
import { scopeFor } from './support/scope.ts'

let registry: DemoRegistry
let all: DemoMessage[]
beforeAll(async () => {
  registry = await startDemoRegistry()
  all = listed(registry.set)
})
afterAll(() => registry.close())

interface Page {
  items: { messageId: string }[]
  totalItems: number
}
async function list(query: string, headers?: Record<string, string>): Promise<Page> {
  const response = await registry.get(`/ebox/messages${query ? `?${query}` : ''}`, headers)
  expect(response.statusCode, response.body).toBe(200)
  return response.json()
}
const ids = (page: Page) => page.items.map((item) => item.messageId)
/** Every matching message, in list order (one page of 100 holds the whole demo e-Box). */
async function matching(query: string): Promise<{ ids: string[]; totalItems: number }> {
  const page = await list(`pageSize=100${query ? `&${query}` : ''}`)
  return { ids: ids(page), totalItems: page.totalItems }
}
const expectedOf = (keep: (m: DemoMessage) => boolean, pool: DemoMessage[] = all) =>
  pool.filter(keep).map((m) => m.messageId)

describe('the default list', () => {
  it('holds the listed messages of the caller e-Box, 25 newest first, and their total', async () => {
    const page = await list('')
    expect(page.totalItems).toBe(DEMO.counts.listed)
    expect(ids(page)).toEqual(all.slice(0, 25).map((m) => m.messageId))
  })

  it('leaves out the expired message and shows the hidden one', async () => {
    const { ids: listedIds } = await matching('')
    expect(listedIds).not.toContain(DEMO.messages.expired)
    expect(listedIds).toContain(DEMO.messages.hidden)
  })

  it('orders messages published at the same second in publication order (the seed publishes them by id)', async () => {
    const { ids: listedIds } = await matching('')
    const [a, b] = DEMO.messages.sameDate
    expect(listedIds.indexOf(b)).toBe(listedIds.indexOf(a) - 1)
  })

  it('never overlaps nor skips across pages', async () => {
    for (const pageSize of [1, 7, 10, 31, 32]) {
      const seen: string[] = []
      for (let page = 1; page <= Math.ceil(DEMO.counts.listed / pageSize); page++) {
        const result = await list(`page=${page}&pageSize=${pageSize}`)
        expect(result.totalItems).toBe(DEMO.counts.listed)
        seen.push(...ids(result))
      }
      expect(seen, `pageSize ${pageSize}`).toEqual(all.map((m) => m.messageId))
    }
  })

  it('answers a page past the end with 200 and items: []', async () => {
    const page = await list('page=5&pageSize=10')
    expect(page).toEqual({ items: [], totalItems: DEMO.counts.listed })
    expect(await list('page=1000000')).toEqual({ items: [], totalItems: DEMO.counts.listed })
  })

  it('accepts pageSize 100 and 1', async () => {
    expect((await list('pageSize=100')).items).toHaveLength(DEMO.counts.listed)
    expect((await list('pageSize=1&page=32')).items).toHaveLength(1)
  })

  it('shows each e-Box its own messages only', async () => {
    const second = await list('pageSize=100', registry.second)
    expect(ids(second)).toEqual(listed(registry.set, DEMO.secondEnterprise).map((m) => m.messageId))
    const citizen = await list('pageSize=100', registry.citizen)
    expect(ids(citizen)).toEqual(listed(registry.set, DEMO.citizenSsin).map((m) => m.messageId))
    expect(citizen.totalItems).toBe(DEMO.counts.citizenEbox)
  })

  it('records the consultation of the e-Box (publication reads it)', async () => {
    await registry.pool.query(`UPDATE eboxes SET last_consultation_at = NULL WHERE recipient_id = $1`, [
      DEMO.enterprise,
    ])
    const { forgetConsultations } = await import('../src/repositories/messages/write.ts')
    forgetConsultations()
    await list('')
    const { rows } = await registry.pool.query(
      `SELECT last_consultation_at FROM eboxes WHERE recipient_type = 'enterprise' AND recipient_id = $1`,
      [DEMO.enterprise],
    )
    expect(Date.now() - rows[0].last_consultation_at.getTime()).toBeLessThan(60_000)
  })
})

describe('each filter alone', () => {
  const cases: [string, (m: DemoMessage) => boolean][] = [
    ['readStatus=true', (m) => m.readAt !== undefined],
    ['readStatus=false', (m) => m.readAt === undefined],
    ['visible=true', (m) => m.visible],
    ['visible=false', (m) => !m.visible],
    ['registeredMail=true', (m) => m.isRegisteredMail],
    ['registeredMail=false', (m) => !m.isRegisteredMail],
    ['messageTypeId=invoice', (m) => m.messageTypeId === 'invoice'],
    ['messageTypeId=no-such-type', () => false],
    ['senderOrganizationId=0454079368', (m) => m.sender.enterpriseNumber === '0454079368'],
    ['senderOrganizationId=454079368', (m) => m.sender.enterpriseNumber === '0454079368'],
    ['senderApplicationId=demo-invoicing', (m) => m.senderApplicationId === 'demo-invoicing'],
    ...Object.values(DEMO.partitions).map((partition): [string, (m: DemoMessage) => boolean] => [
      `partitionId=${partition}`,
      (m) => m.partitionId === partition,
    ]),
    ['partitionId=unknown', () => false],
  ]
  it.each(cases)('%s', async (query, keep) => {
    const expected = expectedOf(keep)
    const result = await matching(query)
    expect(result.ids).toEqual(expected)
    expect(result.totalItems).toBe(expected.length)
  })

  it('receivedAfter keeps the day itself, receivedBefore stops before it (Brussels days)', async () => {
    const pivot = registry.set.messages.find((m) => m.messageId === DEMO.messages.test)!
    const day = brusselsDay(pivot.publishedAt)
    const start = brusselsDayStart(day).getTime()
    const after = await matching(`receivedAfter=${day}`)
    expect(after.ids).toEqual(expectedOf((m) => m.publishedAt.getTime() >= start))
    expect(after.ids).toContain(pivot.messageId)
    const before = await matching(`receivedBefore=${day}`)
    expect(before.ids).toEqual(expectedOf((m) => m.publishedAt.getTime() < start))
    expect(before.ids).not.toContain(pivot.messageId)
  })

  it('expired* filters bring expired messages back, bounded by Brussels days', async () => {
    const pool = registry.set.messages.filter((m) => recipientIdOf(m) === DEMO.enterprise)
    const ordered = listOrder(pool).map((id) => pool.find((m) => m.messageId === id)!)
    const today = brusselsDay(new Date())
    const start = brusselsDayStart(today).getTime()
    const expiredBefore = await matching(`expiredBefore=${today}`)
    expect(expiredBefore.ids).toEqual(expectedOf((m) => m.expiresAt.getTime() < start, ordered))
    expect(expiredBefore.ids).toContain(DEMO.messages.expired)
    const expiredAfter = await matching(`expiredAfter=${today}`)
    expect(expiredAfter.ids).toEqual(expectedOf((m) => m.expiresAt.getTime() >= start, ordered))
    expect(expiredAfter.totalItems).toBe(expiredAfter.ids.length)
  })

  it('answers incoherent but well-formed criteria with 200 and an empty list', async () => {
    expect(await list('receivedAfter=2060-03-05')).toEqual({ items: [], totalItems: 0 })
    expect(await list('receivedAfter=2024-05-01&receivedBefore=2024-04-01')).toEqual({
      items: [],
      totalItems: 0,
    })
    expect(await list('expiredBefore=1990-01-01')).toEqual({ items: [], totalItems: 0 })
  })
})

describe('filters combined', () => {
  const cases: [string, (m: DemoMessage) => boolean][] = [
    [
      'readStatus=false&partitionId=GENERAL&registeredMail=true',
      (m) => !m.readAt && m.partitionId === 'GENERAL' && m.isRegisteredMail,
    ],
    [
      'messageTypeId=invoice&readStatus=true&visible=true',
      (m) => m.messageTypeId === 'invoice' && m.readAt !== undefined && m.visible,
    ],
    [
      'senderOrganizationId=0220916609&partitionId=partitionBid',
      (m) => m.sender.enterpriseNumber === '0220916609' && m.partitionId === 'partitionBid',
    ],
    [
      'senderApplicationId=tax-on-web&registeredMail=false&q=aanslag&qlang=nl',
      (m) => m.senderApplicationId === 'tax-on-web' && !m.isRegisteredMail,
    ],
    ['messageTypeId=invoice&senderApplicationId=tax-on-web', () => false],
  ]
  it.each(cases)('%s', async (query, keep) => {
    const expected = expectedOf(keep)
    const result = await matching(query)
    expect(result.ids).toEqual(expected)
    expect(result.totalItems).toBe(expected.length)
  })

  it('pages a filtered list with its filtered total', async () => {
    const expected = expectedOf((m) => m.readAt !== undefined)
    const first = await list('readStatus=true&pageSize=5')
    const second = await list('readStatus=true&pageSize=5&page=2')
    expect(first.totalItems).toBe(expected.length)
    expect([...ids(first), ...ids(second)]).toEqual(expected.slice(0, 10))
  })
})

describe('text search (q + qlang)', () => {
  const example = DEMO.search.example
  it.each(example.found)('finds the example for "%s"', async (q) => {
    const result = await matching(`q=${encodeURIComponent(q)}&qlang=${example.qlang}`)
    expect(result.ids).toContain(example.messageId)
    expect(result.totalItems).toBe(result.ids.length)
  })

  it.each(example.notFound)('finds nothing for "%s" (no reordering, no token matching)', async (q) => {
    expect(await matching(`q=${encodeURIComponent(q)}&qlang=${example.qlang}`)).toEqual({
      ids: [],
      totalItems: 0,
    })
  })

  it.each(DEMO.search.cases)('$why: "$q" ($qlang)', async ({ q, qlang, messageIds }) => {
    const result = await matching(`q=${encodeURIComponent(q)}&qlang=${qlang}`)
    expect([...result.ids].sort()).toEqual([...messageIds].sort())
    // The order of the list is kept.
    expect(result.ids).toEqual(all.map((m) => m.messageId).filter((id) => result.ids.includes(id)))
  })

  it("searches the caller's e-Box only", async () => {
    const main = await matching(`q=epinards&qlang=fr`)
    expect(main.ids).toEqual([DEMO.search.example.messageId])
    const second = await list('q=epinards&qlang=fr', registry.second)
    expect(ids(second)).toEqual([DEMO.otherMessages.secondSpinach])
  })
})

describe('400 for malformed parameters only', () => {
  it.each([
    'page=0',
    'page=-1',
    'page=abc',
    'page=1.5',
    'pageSize=0',
    'pageSize=101',
    'pageSize=x',
    'receivedAfter=2024-02-30',
    'receivedBefore=yesterday',
    'receivedAfter=2024-1-5',
    'expiredAfter=20240105',
    'expiredBefore=2024-13-01',
    'readStatus=yes',
    'visible=1',
    'registeredMail=maybe',
    'qlang=en&q=x',
    'q=epinards',
    'q=',
    'q=a%1Fb&qlang=fr',
    'unknownFilter=1',
  ])('%s', async (query) => {
    const response = await registry.get(`/ebox/messages?${query}`)
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', environment: 'test' })
  })
})

describe('partitions of the caller (repository scope)', () => {
  it('lists only the partitions a human user may see', async () => {
    const ebox = { eboxType: 'enterprise', id: DEMO.enterprise } as const
    const scope = await scopeFor(ebox, [DEMO.partitions.general, DEMO.partitions.b])
    const result = await listMessages(registry.pool, scope, {}, { page: 1, pageSize: 100 })
    const expected = expectedOf((m) => m.partitionId === 'GENERAL' || m.partitionId === 'partitionBid')
    expect(result.items.map((m) => m.messageId)).toEqual(expected)
    expect(result.totalItems).toBe(expected.length)
    const none = await listMessages(registry.pool, await scopeFor(ebox, []), {}, { page: 1, pageSize: 10 })
    expect(none).toEqual({ items: [], totalItems: 0 })
    const other = await listMessages(
      registry.pool,
      scope,
      { partitionId: DEMO.partitions.noAccess },
      { page: 1, pageSize: 10 },
    )
    expect(other).toEqual({ items: [], totalItems: 0 })
  })
})
