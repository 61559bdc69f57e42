import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessageScope } from '../src/auth/message-scope.ts'
import { DEEP_OFFSET, forgetAnchors } from '../src/repositories/messages/deep-page.ts'
import { listMessages } from '../src/repositories/messages/list.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { scopeFor } from './support/scope.ts'

/**
 * Deep pages of the default list read from an anchor (deep-page.ts) are the pages plain OFFSET gives on the same
 * data: after messages expired since the anchor, after publications, deletions, partition moves and read marks.
 */
const BIG = '0871234999'
const SIZE = 5_000
const PAGE_SIZE = 50
const everything = await scopeFor({ eboxType: 'enterprise', id: BIG })
const onePartition = await scopeFor({ eboxType: 'enterprise', id: BIG }, ['GENERAL'])

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
  // Publication times in steps of 20 s with every fourth one a tie (same second, publication order decides);
  // expiries: some past, the others far (expireSoon brings some closer).
  const client = await registry.pool.connect()
  await client.query('SET statement_timeout = 0')
  await client.query(
    `WITH ins AS (INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at, read_at)
       SELECT gen_random_uuid(), 'enterprise', $1, CASE WHEN i % 3 = 0 THEN 'partitionBid' ELSE 'GENERAL' END,
         '0566988259', 'demo-invoicing', 'invoice', jsonb_build_object('fr', 'Facture ' || i),
         date_trunc('second', now()) - make_interval(secs => (i - i % 4 / 3) * 20),
         CASE WHEN i % 11 = 0 THEN now() - interval '1 day' ELSE now() + interval '30 days' END,
         CASE WHEN i % 5 = 0 THEN now() END
       FROM generate_series(1, $2::int) AS i RETURNING 1)
     SELECT count(*) FROM ins`,
    [BIG, SIZE],
  )
  await client.query('VACUUM ANALYZE messages')
  client.release()
}, 60_000)
afterAll(() => registry.close())

/** Makes every `modulus`-th listed message of the scope expire in a few seconds; answers that instant (epoch ms). */
async function expireSoon(scope: MessageScope, modulus: number): Promise<number> {
  const partitions = scope.partitions === undefined ? '' : 'AND partition_id = ANY($2::text[])'
  const { rows } = await registry.pool.query<{ at: number }>(
    `WITH soon AS (UPDATE messages SET expires_at = date_trunc('second', now()) + interval '5 seconds'
       WHERE message_id IN (SELECT message_id FROM messages WHERE recipient_type = 'enterprise'
         AND recipient_id = $1 ${partitions} AND expires_at > now() + interval '1 day' AND publication_seq % ${modulus} = 0)
       RETURNING expires_at)
     SELECT date_part('epoch', max(expires_at)) * 1000 AS at FROM soon`,
    [BIG, ...(scope.partitions === undefined ? [] : [scope.partitions])],
  )
  return rows[0]!.at
}

/** The page by plain OFFSET, as the list gave it before anchors. */
async function byOffset(scope: MessageScope, offset: number): Promise<string[]> {
  const partitions = scope.partitions === undefined ? '' : 'AND partition_id = ANY($4::text[])'
  const { rows } = await registry.pool.query<{ message_id: string }>(
    `SELECT message_id FROM messages WHERE recipient_type = 'enterprise' AND recipient_id = $1 ${partitions}
       AND expires_at > now()
     ORDER BY published_at DESC, publication_seq DESC LIMIT $2 OFFSET $3`,
    [BIG, PAGE_SIZE, offset, ...(scope.partitions === undefined ? [] : [scope.partitions])],
  )
  return rows.map((row) => row.message_id)
}

/** A pool stand-in that keeps the values of the deep-page statements (to see that an anchor was offered). */
function recording() {
  const anchored: boolean[] = []
  const db = {
    query: (statement: pg.QueryConfig) => {
      if (typeof statement === 'object' && statement.text.includes('WITH counts AS')) {
        anchored.push(
          (statement.values ?? []).some((v) => typeof v === 'string' && /^[^,]+:\d+(,|$)/.test(v)),
        )
      }
      return registry.pool.query(statement)
    },
  } as unknown as pg.Pool
  return { db, anchored }
}

const deepPages = [DEEP_OFFSET / PAGE_SIZE + 1, 15, 16, 30, 40, 41]

async function expectSamePages(scope: MessageScope, db: pg.Pool = registry.pool) {
  for (const page of deepPages) {
    const listed = await listMessages(db, scope, {}, { page, pageSize: PAGE_SIZE })
    const expected = await byOffset(scope, (page - 1) * PAGE_SIZE)
    expect(expected.length, `page ${page} of the fixture`).toBeGreaterThan(0)
    expect(
      listed.items.map((m) => m.messageId),
      `page ${page}`,
    ).toEqual(expected)
  }
}

describe('deep pages of the default list', () => {
  it.each([
    ['every partition', everything, 7],
    ['one partition', onePartition, 5],
  ])('equal plain OFFSET from an anchor, after messages expired since it (%s)', async (_, scope, modulus) => {
    forgetAnchors()
    const expiry = await expireSoon(scope, modulus)
    expect(expiry).toBeGreaterThan(0)
    // Anchors taken while the "soon" messages are still listed (their expiry is seconds ahead).
    for (const page of deepPages) await listMessages(registry.pool, scope, {}, { page, pageSize: PAGE_SIZE })
    const wait = expiry + 500 - Date.now()
    if (wait > 0) await sleep(wait)
    const { db, anchored } = recording()
    await expectSamePages(scope, db)
    expect(anchored.every(Boolean), 'every deep page offered an anchor').toBe(true)
  })

  it('equal plain OFFSET after a publication, a deletion, a partition move and a read mark', async () => {
    forgetAnchors()
    await expectSamePages(everything)
    const changes = [
      `INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at)
       VALUES (gen_random_uuid(), 'enterprise', $1, 'GENERAL', '0566988259', 'demo-invoicing', 'invoice',
         '{"fr": "nouveau"}', now(), now() + interval '30 days')`,
      `DELETE FROM messages WHERE message_id = (SELECT message_id FROM messages WHERE recipient_id = $1
         AND expires_at > now() ORDER BY published_at DESC, publication_seq DESC OFFSET 10 LIMIT 1)`,
      `UPDATE messages SET partition_id = 'partitionBid' WHERE message_id = (SELECT message_id FROM messages
         WHERE recipient_id = $1 AND partition_id = 'GENERAL' AND expires_at > now()
         ORDER BY published_at DESC OFFSET 5 LIMIT 1)`,
      `UPDATE messages SET read_at = now() WHERE message_id = (SELECT message_id FROM messages
         WHERE recipient_id = $1 AND read_at IS NULL ORDER BY published_at DESC LIMIT 1)`,
    ]
    for (const change of changes) {
      await registry.pool.query(change, [BIG])
      await expectSamePages(everything)
      await expectSamePages(onePartition)
    }
  })

  it('answers a page past the end with no items', async () => {
    const past = await listMessages(registry.pool, everything, {}, { page: 1_000, pageSize: PAGE_SIZE })
    expect(past.items).toEqual([])
    expect(past.totalItems).toBeGreaterThan(0)
  })
})
