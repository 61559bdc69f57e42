import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedCommand } from '../src/cli/seed.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { startTestRegistry } from './support/registry.ts'

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const M = DEMO.messages
const reset = (authorization?: string) =>
  registry.app.inject({
    method: 'POST',
    url: '/certification/resetDataSet',
    headers: authorization ? { authorization } : {},
  })

describe('POST /certification/resetDataSet', () => {
  it('needs the certification scope', async () => {
    expect((await reset()).statusCode).toBe(401)
    expect((await reset(registry.main.authorization)).statusCode).toBe(403)
  })

  it('restores the demo data set, dates relative to now', async () => {
    // Change the data: read a message, hide one, move one, publish-like extra row in the demo e-Box.
    await registry.get(`/ebox/messages/${M.registeredUnread}/attachments/1/content`)
    await registry.app.inject({
      method: 'PATCH',
      url: '/ebox/messages',
      headers: { ...registry.main, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({
        items: [
          { messageId: M.mainPdf, visible: false },
          { messageId: M.test, partitionId: DEMO.partitions.b },
        ],
        totalItems: 2,
      }),
    })
    await registry.pool.query(
      `UPDATE messages SET published_at = published_at - interval '100 days' WHERE recipient_id = $1`,
      [DEMO.enterprise],
    )
    const token = await registry.token({ scopes: [SCOPES.certification], cbe: undefined })
    const started = Date.now()
    const response = await reset(`Bearer ${token}`)
    expect(response.statusCode).toBe(204)
    expect(response.body).toBe('')

    const stats = (await registry.get('/ebox/statistics')).json()
    expect(stats).toMatchObject({
      totalMessages: DEMO.counts.listed,
      unreadMessages: DEMO.counts.unreadListed,
      expiringSoonMessages: DEMO.counts.unreadExpiringSoon,
    })
    const first = (await registry.get('/ebox/messages?pageSize=1')).json().items[0]
    expect(first.messageId).toBe(M.mainPdf)
    expect(first.visible).toBe(true)
    // The newest demo message is one day old, counted from the reset.
    expect(Math.abs(started - new Date(first.receiptDate).getTime() - 86_400_000)).toBeLessThan(10_000)
    expect((await registry.get(`/ebox/messages/${M.test}`)).json().partitionId).toBe('GENERAL')
    const { rows } = await registry.pool.query(
      'SELECT count(*)::int AS n FROM outbox_events WHERE message_id = $1',
      [M.registeredUnread],
    )
    expect(rows[0].n).toBe(0)
    // Nothing of the old contents is left behind.
    const orphans = await registry.pool.query(
      'SELECT count(*)::int AS n FROM contents c WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.content_id = c.content_id)',
    )
    expect(orphans.rows[0].n).toBe(0)
  })

  it('is refused without CERTIFICATION_RESET_ENABLED (issue 23, finding 10)', async () => {
    const closed = await startTestRegistry({ CERTIFICATION_RESET_ENABLED: 'false' })
    try {
      const token = await closed.token({ scopes: [SCOPES.certification], cbe: undefined })
      const response = await closed.app.inject({
        method: 'POST',
        url: '/certification/resetDataSet',
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.statusCode).toBe(403)
    } finally {
      await closed.close()
    }
  })
})

describe('registry seed demo', () => {
  it('loads the set into DATABASE_URL and says what it loaded', async () => {
    const lines: string[] = []
    await registry.pool.query('DELETE FROM messages WHERE recipient_id = $1', [DEMO.secondEnterprise])
    const status = await seedCommand(['demo'], { DATABASE_URL: registry.database.url }, (line) =>
      lines.push(line),
    )
    expect(status).toBe(0)
    expect(lines.join('\n')).toContain(`${registry.set.messages.length} messages in 3 e-Boxes`)
    const second = (await registry.get('/ebox/messages', registry.second)).json()
    expect(second.totalItems).toBe(DEMO.counts.secondEbox)
  })

  it('prints its usage for anything else', async () => {
    const lines: string[] = []
    expect(
      await seedCommand(['prod'], { DATABASE_URL: registry.database.url }, (line) => lines.push(line)),
    ).toBe(2)
    expect(lines).toEqual(['usage: registry seed demo'])
  })
})
