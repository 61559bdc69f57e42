import { CONTRACT, type EboxSummary, formatDateTime, type Statistics } from '@ebox/contract'
import type { MessageScope } from '../auth/message-scope.ts'
import type { Queryable } from '../db/pool.ts'
import { Params, partitionCondition, scopeCondition } from './messages/scope-condition.ts'

/**
 * Statistics (v3, §5.5) and the v2.1 `GET /ebox` summary of the caller's e-Box, over the messages the default
 * list shows (expired ones left out). Counts come from the trigger-kept ebox_message_counts minus the expired
 * messages; "expiring soon" reads the expiry index. No query counts the e-Box row by row.
 */

interface CountRow {
  partition_id: string
  total: string
  unread: string
  registered: string
  unread_registered: string
  expiring_soon: string
  action_required: string
}

/**
 * Per partition of the scope: listed messages, unread, expiring soon, registered, unread registered, and those
 * asking for an action not yet executed (read from the partial index messages_action_pending).
 */
async function countsPerPartition(db: Queryable, scope: MessageScope): Promise<CountRow[]> {
  const params = new Params()
  const counts = scopeCondition(params, scope, 'c')
  const messages = scopeCondition(params, scope, 'm')
  const enterprise = params.add(scope.ebox.eboxType === 'enterprise')
  const enterpriseNumber = params.add(scope.ebox.id)
  const general = params.add(CONTRACT.generalPartition)
  const soonDays = params.add(CONTRACT.expiringSoonDays)
  const visible = partitionCondition(params, scope, 'k.partition_id')
  const { rows } = await db.query<CountRow>(
    `WITH counted AS (
       SELECT c.partition_id, c.total, c.unread, c.registered, c.unread_registered FROM ebox_message_counts c
       WHERE ${counts}
     ), expired AS (
       SELECT m.partition_id, count(*) AS total, count(*) FILTER (WHERE m.read_at IS NULL) AS unread,
              count(*) FILTER (WHERE m.registered_mail) AS registered,
              count(*) FILTER (WHERE m.read_at IS NULL AND m.registered_mail) AS unread_registered
       FROM messages m WHERE ${messages} AND m.expires_at <= now()
       GROUP BY m.partition_id
     ), soon AS (
       SELECT m.partition_id, count(*) AS n FROM messages m
       WHERE ${messages} AND m.read_at IS NULL
         AND m.expires_at > now() AND m.expires_at <= now() + make_interval(days => ${soonDays})
       GROUP BY m.partition_id
     ), action AS (
       SELECT m.partition_id, count(*) AS n FROM messages m
       WHERE ${messages} AND m.for_action AND m.action_executed_at IS NULL AND m.expires_at > now()
       GROUP BY m.partition_id
     ), known AS (
       SELECT partition_id FROM counted
       UNION SELECT partition_id FROM partitions WHERE enterprise_number = ${enterpriseNumber} AND ${enterprise}
       UNION SELECT ${general}::text WHERE ${enterprise}
     )
     SELECT k.partition_id,
       coalesce(c.total, 0) - coalesce(e.total, 0) AS total,
       coalesce(c.unread, 0) - coalesce(e.unread, 0) AS unread,
       coalesce(c.registered, 0) - coalesce(e.registered, 0) AS registered,
       coalesce(c.unread_registered, 0) - coalesce(e.unread_registered, 0) AS unread_registered,
       coalesce(s.n, 0) AS expiring_soon,
       coalesce(a.n, 0) AS action_required
     FROM known k LEFT JOIN counted c USING (partition_id) LEFT JOIN expired e USING (partition_id)
       LEFT JOIN soon s USING (partition_id) LEFT JOIN action a USING (partition_id)
     WHERE ${visible}
     ORDER BY k.partition_id = ${general} DESC, k.partition_id`,
    params.values,
  )
  return rows
}

export async function statistics(db: Queryable, scope: MessageScope): Promise<Statistics> {
  const rows = await countsPerPartition(db, scope)
  const counts = (row: CountRow) => ({
    totalMessages: Number(row.total),
    unreadMessages: Number(row.unread),
    expiringSoonMessages: Number(row.expiring_soon),
    registeredMessages: Number(row.registered),
    unreadRegisteredMessages: Number(row.unread_registered),
    actionRequiredMessages: Number(row.action_required),
  })
  const partitions = rows.map((row) => ({ partitionId: row.partition_id, ...counts(row) }))
  const sum = (key: keyof ReturnType<typeof counts>) => partitions.reduce((total, p) => total + p[key], 0)
  return {
    totalMessages: sum('totalMessages'),
    unreadMessages: sum('unreadMessages'),
    expiringSoonMessages: sum('expiringSoonMessages'),
    registeredMessages: sum('registeredMessages'),
    unreadRegisteredMessages: sum('unreadRegisteredMessages'),
    actionRequiredMessages: sum('actionRequiredMessages'),
    // Citizen e-Boxes have no partitions (§1).
    partitions: scope.ebox.eboxType === 'enterprise' ? partitions : [],
  }
}

/** v2.1 `GET /ebox`: counters, last receipt, last consultation and size (kB) of the listed messages. */
export async function summary(db: Queryable, scope: MessageScope): Promise<EboxSummary> {
  const rows = await countsPerPartition(db, scope)
  const params = new Params()
  const messages = scopeCondition(params, scope, 'm')
  const recipient = `recipient_type = ${params.add(scope.ebox.eboxType)} AND recipient_id = ${params.add(scope.ebox.id)}`
  const { rows: facts } = await db.query<{
    last_receipt: Date | null
    last_consultation: Date | null
    size_bytes: number
  }>(
    `SELECT
       (SELECT m.published_at FROM messages m WHERE ${messages}
        ORDER BY m.published_at DESC LIMIT 1) AS last_receipt,
       (SELECT last_consultation_at FROM eboxes WHERE ${recipient}) AS last_consultation,
       (SELECT coalesce(sum(a.size_bytes), 0)::float8 FROM messages m JOIN attachments a USING (message_id)
        WHERE ${messages} AND m.expires_at > now()) AS size_bytes`,
    params.values,
  )
  const fact = facts[0]
  return {
    numberOfMessages: rows.reduce((n, row) => n + Number(row.total), 0),
    numberOfUnreadMessages: rows.reduce((n, row) => n + Number(row.unread), 0),
    ...(fact?.last_receipt ? { lastReceiptDate: formatDateTime(fact.last_receipt) } : {}),
    ...(fact?.last_consultation ? { lastConsultationDate: formatDateTime(fact.last_consultation) } : {}),
    eboxSize: (fact?.size_bytes ?? 0) / 1024,
  }
}
