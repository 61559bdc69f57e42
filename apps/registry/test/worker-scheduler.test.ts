import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPool } from '../src/db/pool.ts'
import {
  ensureAuditPartitions,
  purgeOutbox,
  QUEUE_ALERTS,
  QUEUE_REMINDERS,
  runScheduler,
  SCHEDULE,
} from '../src/repositories/scheduler.ts'
import { deliverBatch } from '../src/worker/delivery.ts'
import type { EesClient } from '../src/worker/ees-client.ts'
import { type EesStub, startEesStub } from './support/ees-stub.ts'
import {
  ENTERPRISE,
  eesClientFor,
  FAST_DELIVERY,
  insertMessage,
  outboxRows,
  seedSender,
} from './support/federation-fixtures.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
let stub: EesStub
let ees: EesClient

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedSender(registry.pool)
  stub = await startEesStub()
  ees = await eesClientFor(registry.issuer, stub.url)
})
afterAll(async () => {
  await stub.close()
  await registry.close()
})
beforeEach(async () => {
  await registry.pool.query('DELETE FROM outbox_events; DELETE FROM scheduler_state; DELETE FROM messages')
  stub.received.length = 0
  stub.accepted.clear()
})

const at = (iso: string) => runScheduler(registry.pool, new Date(iso))
async function queued(eventType: string) {
  return (await outboxRows(registry.pool)).filter((row) => row.event_type === eventType)
}

describe('newDocumentReminder', () => {
  it('15 Belgian calendar days after publication (same wall-clock time across the change to summer time)', async () => {
    const messageId = await insertMessage(registry.pool, {
      publishedAt: '2026-03-20T10:00:00+01:00',
      expiresAt: '2027-03-20T10:00:00+01:00',
      registeredMail: true,
    })
    expect(await at('2026-03-21T00:00:00Z')).toEqual({ reminders: 0, alerts: 0 })
    // 4 April 10:00 in Brussels is 08:00 UTC (summer time): 14 days 23 hours of elapsed time.
    expect(await at('2026-04-04T07:59:59Z')).toEqual({ reminders: 0, alerts: 0 })
    expect(await at('2026-04-04T08:00:00Z')).toEqual({ reminders: 1, alerts: 0 })
    expect(await at('2026-04-04T08:00:00Z')).toEqual({ reminders: 0, alerts: 0 })
    expect(await at('2026-04-20T00:00:00Z')).toEqual({ reminders: 0, alerts: 0 })

    const [reminder] = await queued('newDocumentReminder')
    expect(reminder!.payload).toEqual({
      eventType: 'newDocumentReminder',
      eventCorrelationId: reminder!.event_id,
      enterpriseId: ENTERPRISE,
      messageId,
      receiptDate: '2026-03-20T10:00:00+01:00',
      expirationDate: '2027-03-20T10:00:00+01:00',
      registeredMail: true,
      messageTypeId: 'type-1',
      senderOrganizationId: '0212345678',
      senderApplicationId: 'app-1',
    })
  })

  it('never for a read message, a citizen e-Box, or a message that expired first', async () => {
    await insertMessage(registry.pool, {
      publishedAt: '2026-05-01T10:00:00+02:00',
      expiresAt: '2027-05-01T10:00:00+02:00',
      readAt: '2026-05-02T10:00:00+02:00',
    })
    await insertMessage(registry.pool, {
      publishedAt: '2026-05-01T10:00:00+02:00',
      expiresAt: '2027-05-01T10:00:00+02:00',
      recipientType: 'citizen',
    })
    await insertMessage(registry.pool, {
      publishedAt: '2026-05-01T10:00:00+02:00',
      expiresAt: '2026-05-10T10:00:00+02:00',
    })
    await at('2026-05-01T00:00:00Z')
    expect(await at('2026-06-01T00:00:00Z')).toEqual({ reminders: 0, alerts: 0 })
    expect(await outboxRows(registry.pool)).toEqual([])
  })
})

describe('documentExpirationAlert', () => {
  it('7 Belgian calendar days before expiry, if unread', async () => {
    const unread = await insertMessage(registry.pool, {
      publishedAt: '2026-01-10T09:00:00+01:00',
      expiresAt: '2026-06-01T12:00:00+02:00',
    })
    await insertMessage(registry.pool, {
      publishedAt: '2026-01-10T09:00:00+01:00',
      expiresAt: '2026-06-01T12:00:00+02:00',
      readAt: '2026-01-11T09:00:00+01:00',
    })
    await at('2026-05-01T00:00:00Z')
    await registry.pool.query("DELETE FROM outbox_events WHERE event_type = 'newDocumentReminder'")
    expect(await at('2026-05-25T09:59:59Z')).toMatchObject({ alerts: 0 })
    expect(await at('2026-05-25T10:00:00Z')).toMatchObject({ alerts: 1 })
    expect(await at('2026-05-26T10:00:00Z')).toMatchObject({ alerts: 0 })
    const alerts = await queued('documentExpirationAlert')
    expect(alerts.map((row) => row.message_id)).toEqual([unread])
    expect(alerts[0]!.payload).toMatchObject({ eventType: 'documentExpirationAlert', messageId: unread })
  })

  it('at the first run after publication when a message arrives with less than 7 days to live', async () => {
    await at('2026-07-01T08:00:00Z')
    const shortLived = await insertMessage(registry.pool, {
      publishedAt: '2026-07-01T08:00:30Z',
      expiresAt: '2026-07-04T08:00:00Z',
    })
    expect(await at('2026-07-01T08:01:00Z')).toEqual({ reminders: 0, alerts: 1 })
    expect((await queued('documentExpirationAlert')).map((row) => row.message_id)).toEqual([shortLived])
  })

  it('nothing for a message already expired', async () => {
    await insertMessage(registry.pool, {
      publishedAt: '2026-07-01T08:00:00Z',
      expiresAt: '2026-07-02T08:00:00Z',
    })
    expect(await at('2026-07-03T08:00:00Z')).toEqual({ reminders: 0, alerts: 0 })
  })
})

describe('the scheduler with other runs and replicas', () => {
  it('catches up after a pause: everything due meanwhile is queued at once', async () => {
    await at('2026-08-01T00:00:00Z')
    for (let day = 1; day <= 20; day++) {
      await insertMessage(registry.pool, {
        publishedAt: `2026-08-${String(day).padStart(2, '0')}T12:00:00+02:00`,
        expiresAt: '2026-09-10T12:00:00+02:00',
      })
    }
    // Down until 8 September: reminders for every message published up to 24 August, alerts for all (due 3 Sep).
    expect(await at('2026-09-08T10:00:00Z')).toEqual({ reminders: 20, alerts: 20 })
  })

  it('running twice, or in two replicas at once, queues nothing twice', async () => {
    for (let i = 0; i < 30; i++) {
      await insertMessage(registry.pool, {
        publishedAt: '2026-09-01T12:00:00+02:00',
        expiresAt: '2026-10-01T12:00:00+02:00',
      })
    }
    const replicas = [0, 1, 2].map(() =>
      createPool({ connectionString: registry.config.databaseUrl, max: 2, statementTimeoutMs: 10_000 }),
    )
    try {
      const now = new Date('2026-09-28T00:00:00Z')
      const runs = await Promise.all(
        replicas.flatMap((pool) => [runScheduler(pool, now), runScheduler(pool, now)]),
      )
      const done = runs.filter((run) => run !== undefined)
      expect(done.reduce((sum, run) => sum + run!.reminders, 0)).toBe(30)
      expect(done.reduce((sum, run) => sum + run!.alerts, 0)).toBe(30)
      // Even with the watermark forgotten, a new run finds everything already queued.
      await registry.pool.query('DELETE FROM scheduler_state')
      expect(await runScheduler(replicas[0]!, now)).toEqual({ reminders: 0, alerts: 0 })
      const { rows } = await registry.pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM outbox_events GROUP BY message_id, event_type HAVING count(*) > 1',
      )
      expect(rows).toEqual([])
      expect(await outboxRows(registry.pool)).toHaveLength(60)
    } finally {
      await Promise.all(replicas.map((pool) => pool.end()))
    }
  })

  it('a reminder whose message is read before delivery is cancelled, not sent', async () => {
    const read = await insertMessage(registry.pool, {
      publishedAt: '2026-10-01T12:00:00+02:00',
      expiresAt: '2027-10-01T12:00:00+02:00',
    })
    const unread = await insertMessage(registry.pool, {
      publishedAt: '2026-10-01T12:00:00+02:00',
      expiresAt: '2027-10-01T12:00:00+02:00',
    })
    const now = new Date('2026-10-20T00:00:00Z')
    expect(await runScheduler(registry.pool, now)).toEqual({ reminders: 2, alerts: 0 })
    await registry.pool.query('UPDATE messages SET read_at = $2 WHERE message_id = $1', [read, now])
    const report = await deliverBatch(registry.pool, ees, () => now, FAST_DELIVERY)
    expect(report).toMatchObject({ claimed: 2, cancelled: 1, delivered: 1 })
    expect(stub.received.map((event) => event.messageId)).toEqual([unread])
    const rows = await outboxRows(registry.pool)
    expect(rows.find((row) => row.message_id === read)!.status).toBe('cancelled')
  })

  it('its queries use the partial indexes of unread messages', async () => {
    // A year of messages, most of them read: the planner must go to the few unread ones through the indexes.
    await registry.pool.query(
      `INSERT INTO messages (message_id, recipient_type, recipient_id, sender_enterprise_number, sender_application_id,
                             message_type_id, subject, published_at, expires_at, read_at)
       SELECT gen_random_uuid(), 'enterprise', $1, '0212345678', 'app-1', 'type-1', '{}',
              t, t + interval '1 year', CASE WHEN i % 25 <> 0 THEN t + interval '1 day' END
         FROM generate_series(1, 5000) AS i, LATERAL (SELECT timestamptz '2026-01-01' + i * interval '105 minutes') AS x(t)`,
      [ENTERPRISE],
    )
    await registry.pool.query('ANALYZE messages')
    const plan = async (sql: string, days: number) =>
      (
        await registry.pool.query(`EXPLAIN ${sql}`, [
          new Date('2026-07-01T00:00:00Z'),
          new Date('2026-06-30T23:59:00Z'),
          days,
          SCHEDULE.overlapMinutes,
        ])
      ).rows
        .map((row) => row['QUERY PLAN'])
        .join('\n')
    expect(await plan(QUEUE_REMINDERS, SCHEDULE.reminderAfterDays)).toContain(
      'messages_unread_by_publication',
    )
    expect(await plan(QUEUE_ALERTS, SCHEDULE.alertBeforeDays)).toContain('messages_unread_by_expiry')
  })
})

describe('audit partitions', () => {
  it('the worker creates the partitions of this year and the next, append-only like the others', async () => {
    await ensureAuditPartitions(registry.pool, new Date('2041-12-31T23:30:00Z')) // already 2042 in Brussels
    await ensureAuditPartitions(registry.pool, new Date('2041-12-31T23:30:00Z'))
    const { rows } = await registry.pool.query<{ name: string }>(
      "SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname LIKE 'audit_records_y204%' ORDER BY relname",
    )
    expect(rows.map((row) => row.name)).toEqual([
      'audit_records_y2040',
      'audit_records_y2042',
      'audit_records_y2043',
    ])
    await expect(registry.pool.query('TRUNCATE audit_records_y2043')).rejects.toThrow(/append-only/)
  })
})

describe('outbox retention', () => {
  it('deletes finished events of expired or deleted messages after the retention, nothing else', async () => {
    const expired = await insertMessage(registry.pool, {
      publishedAt: '2026-01-01T10:00:00Z',
      expiresAt: '2026-02-01T10:00:00Z',
    })
    const live = await insertMessage(registry.pool, {
      publishedAt: '2026-01-01T10:00:00Z',
      expiresAt: '2027-01-01T10:00:00Z',
    })
    const event = (messageId: string, type: string, status: string, finishedAt: string | null) =>
      registry.pool.query(
        `INSERT INTO outbox_events (event_id, message_id, event_type, payload, status, finished_at)
         VALUES (gen_random_uuid(), $1, $2, '{}', $3, $4)`,
        [messageId, type, status, finishedAt],
      )
    await event(expired, 'newDocument', 'delivered', '2026-01-01T10:00:05Z')
    await event(expired, 'newDocumentReminder', 'cancelled', '2026-01-16T10:00:00Z')
    await event(expired, 'readDocument', 'dead', '2026-01-20T10:00:00Z')
    await event(live, 'newDocument', 'delivered', '2026-01-01T10:00:05Z')
    await event(crypto.randomUUID(), 'newDocument', 'delivered', '2026-01-01T10:00:05Z') // message deleted since
    await event(crypto.randomUUID(), 'readDocument', 'pending', null)

    expect(await purgeOutbox(registry.pool, new Date('2026-03-01T00:00:00Z'), 90)).toBe(0)
    expect(await purgeOutbox(registry.pool, new Date('2026-05-01T00:00:00Z'), 90)).toBe(3)
    const left = (await outboxRows(registry.pool)).map((row) => [
      row.message_id === live ? 'live' : row.event_type,
      row.status,
    ])
    expect(left.sort()).toEqual([
      ['live', 'delivered'],
      ['readDocument', 'dead'],
      ['readDocument', 'pending'],
    ])
  })
})
