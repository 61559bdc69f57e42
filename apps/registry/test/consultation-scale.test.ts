import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMessages, type MessageFilters } from '../src/repositories/messages/list.ts'
import { getMessage } from '../src/repositories/messages/read.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { scopeFor } from './support/scope.ts'

/**
 * A large e-Box (30,000 messages, beside the demo set): the trigger-kept counts stay exact through bulk changes,
 * a page costs a fixed number of queries whatever its size, and every filter reads an index of the e-Box.
 */
const BIG = '0474028805'
const SIZE = 30_000
const scope = await scopeFor({ eboxType: 'enterprise', id: BIG })

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
  const client = await registry.pool.connect()
  try {
    await client.query('SET statement_timeout = 0')
    await client.query(
      `INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at, read_at, visible, registered_mail,
         search_nl, search_fr, search_de)
       SELECT gen_random_uuid(), 'enterprise', $1, CASE WHEN i % 10 = 0 THEN 'partitionBid' ELSE 'GENERAL' END,
         CASE WHEN i % 4 = 0 THEN '0220916609' ELSE '0566988259' END,
         CASE WHEN i % 4 = 0 THEN 'socialsecurity-letters' ELSE 'demo-invoicing' END,
         CASE WHEN i % 4 = 0 THEN 'contribution-notice' WHEN i % 3 = 0 THEN 'information' ELSE 'invoice' END,
         jsonb_build_object('fr', 'Facture ' || i), now() - make_interval(mins => i),
         now() + interval '40 days' - make_interval(mins => i * 2), CASE WHEN i % 7 = 0 THEN NULL ELSE now() END,
         i % 50 <> 0, i % 100 = 0, 'factuur ' || i, 'facture ' || i || ' ' || md5(i::text), 'rechnung ' || i
       FROM generate_series(1, $2::int) AS i`,
      [BIG, SIZE],
    )
    await client.query('VACUUM ANALYZE messages')
  } finally {
    client.release()
  }
}, 120_000)
afterAll(() => registry.close())

/** A pool stand-in that records every statement (given as text and values, or as a named statement). */
function recording() {
  const statements: [string, unknown[]][] = []
  const db = {
    query: (statement: string | pg.QueryConfig, values?: unknown[]) => {
      if (typeof statement === 'string') statements.push([statement, values ?? []])
      else statements.push([statement.text, statement.values ?? []])
      return registry.pool.query(statement, values)
    },
  } as unknown as pg.Pool
  return { db, statements }
}

const exact = async (where: string) =>
  Number(
    (
      await registry.pool.query(
        `SELECT count(*) AS n FROM messages WHERE recipient_type = 'enterprise' AND recipient_id = $1 AND ${where}`,
        [BIG],
      )
    ).rows[0].n,
  )

describe('a large e-Box', () => {
  it('keeps exact counts through bulk inserts, updates and deletes', async () => {
    const listedNow = () => exact('expires_at > now()')
    expect((await listMessages(registry.pool, scope, {}, { page: 1, pageSize: 1 })).totalItems).toBe(
      await listedNow(),
    )
    await registry.pool.query(
      `UPDATE messages SET read_at = now(), partition_id = 'partitionToDelete'
       WHERE recipient_id = $1 AND read_at IS NULL AND published_at > now() - interval '3 days'`,
      [BIG],
    )
    await registry.pool.query(`DELETE FROM messages WHERE recipient_id = $1 AND registered_mail`, [BIG])
    const stats = await registry.app.inject({
      url: '/ebox/statistics',
      headers: {
        authorization: `Bearer ${await registry.token({ scopes: [SCOPES.documentConsumer], cbe: BIG })}`,
      },
    })
    const body = stats.json()
    expect(body.totalMessages).toBe(await listedNow())
    expect(body.unreadMessages).toBe(await exact('expires_at > now() AND read_at IS NULL'))
    expect(body.registeredMessages).toBe(0)
    for (const partition of body.partitions) {
      expect(partition.totalMessages).toBe(
        await exact(`expires_at > now() AND partition_id = '${partition.partitionId}'`),
      )
    }
    const { rows } = await registry.pool.query(
      `SELECT partition_id, total::int FROM ebox_message_counts WHERE recipient_id = $1 ORDER BY 1`,
      [BIG],
    )
    for (const row of rows) expect(row.total).toBe(await exact(`partition_id = '${row.partition_id}'`))
  })

  it('costs the same few queries for a page of 1, 25 or 100 messages (no N+1)', async () => {
    for (const [filters, expected] of [
      // Every page carries its attachments; the default list's page 1 carries its count as well.
      [{}, 1],
      [{ readStatus: false, partitionId: 'GENERAL' }, 2],
      // The reference data `q` matches, then page and count.
      [{ q: 'facture', qlang: 'fr' }, 2],
    ] as [MessageFilters, number][]) {
      for (const pageSize of [1, 25, 100]) {
        const { db, statements } = recording()
        const page = await listMessages(db, scope, filters, { page: 1, pageSize })
        expect(page.items.length).toBeLessThanOrEqual(pageSize)
        expect(statements, `${JSON.stringify(filters)} × ${pageSize}`).toHaveLength(expected)
      }
    }
    const { db, statements } = recording()
    const demoScope = await scopeFor({ eboxType: 'enterprise', id: DEMO.enterprise })
    const message = await getMessage(db, demoScope, DEMO.messages.twoDocuments)
    expect(message?.attachments.totalItems).toBe(2)
    // The message and its attachments in one statement.
    expect(statements).toHaveLength(1)
  })

  it('names the statements of the default list and of searches by keys only: trigram searches and filtered lists are planned per call', async () => {
    const client = await registry.pool.connect()
    try {
      // More than the five custom plans after which PostgreSQL may switch a named statement to its generic plan.
      for (let i = 0; i < 8; i++) {
        await listMessages(client, scope, {}, { page: 1, pageSize: 25 })
        await listMessages(client, scope, { q: 'facture 1', qlang: 'fr' }, { page: 1, pageSize: 25 })
        await listMessages(client, scope, { readStatus: false }, { page: 1, pageSize: 25 })
      }
      const named = async () =>
        (
          await client.query<{ statement: string }>(
            'SELECT statement FROM pg_prepared_statements WHERE from_sql = false',
          )
        ).rows.map((row) => row.statement)
      expect((await named()).some((text) => /LIMIT \$\d+ OFFSET/.test(text))).toBe(true)
      // A search by trigrams is never named (a search by keys, earlier on this connection, may be).
      const searches = (await named()).filter((text) => text.includes('WITH matches'))
      expect(searches.every((text) => text.includes('search_keys &&'))).toBe(true)
      expect((await named()).some((text) => text.includes('read_at IS NULL'))).toBe(false)
      // One word: the candidates can only come from the keys' index, whatever plan (search.ts).
      await listMessages(client, scope, { q: 'facture', qlang: 'fr' }, { page: 1, pageSize: 25 })
      expect((await named()).some((text) => text.includes('search_keys &&'))).toBe(true)
    } finally {
      client.release()
    }
  })

  it('counts a search past its last page (page and count share one statement)', async () => {
    const filters: MessageFilters = { q: 'facture 1', qlang: 'fr' }
    const first = await listMessages(registry.pool, scope, filters, { page: 1, pageSize: 25 })
    const expected = await exact(`search_fr LIKE '%facture 1%' AND expires_at > now()`)
    expect(first.items).toHaveLength(25)
    expect(first.totalItems).toBe(expected)
    const past = await listMessages(registry.pool, scope, filters, { page: 10_000, pageSize: 25 })
    expect(past).toEqual({ items: [], totalItems: expected })
  })

  it.each([
    [{}, 'messages_by_ebox'],
    [{ readStatus: false }, 'unread'],
    [{ visible: false }, 'messages_by_ebox_hidden'],
    [{ registeredMail: true }, 'messages_by_ebox_registered'],
    [{ messageTypeId: 'information' }, 'messages_by_ebox_type'],
    [{ senderOrganizationId: '0220916609' }, 'messages_by_ebox_sender'],
    [{ senderApplicationId: 'socialsecurity-letters' }, 'messages_by_ebox_application'],
    // Either the partition's own index or the e-Box's, which includes partition_id and expires_at (index only):
    // the planner picks by row width, which the search keys (migration 0017) changed.
    [{ partitionId: 'partitionBid' }, /messages_by_ebox_partition|Index Only Scan using messages_by_ebox on/],
    [{ receivedAfter: '2020-01-01' }, 'messages_by_ebox'],
    [{ expiredAfter: '2020-01-01' }, 'messages_by_ebox'],
    [{ q: 'facture 12345', qlang: 'fr' }, 'messages_search_fr'],
    // One word: the candidates come from the search keys alone (migration 0017), never ANDed with the trigrams.
    [{ q: '12345', qlang: 'fr' }, /messages_search_keys(?![\s\S]*messages_search_fr)/],
  ] as [MessageFilters, string | RegExp][])(
    'reads a page of %j through an index (%s)',
    async (filters, index) => {
      const { db, statements } = recording()
      await listMessages(db, scope, filters, { page: 1, pageSize: 25 })
      const page = statements.find(([text]) => /ORDER BY m\.published_at DESC/.test(text))!
      const { rows } = await registry.pool.query(`EXPLAIN ${page[0]}`, page[1])
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n')
      expect(plan).not.toMatch(/Seq Scan on messages/)
      expect(plan).toMatch(index)
    },
  )
})
