import { CONTRACT, formatDateTime, type MessageAction, RegistryError } from '@ebox/contract'
import type pg from 'pg'
import type { MessageScope } from '../../auth/message-scope.ts'
import { inTransaction, type Queryable } from '../../db/pool.ts'
import { enqueueEvent } from '../outbox.ts'
import { type MessageRow, messageActionOf } from './rows.ts'
import { isMessageId, Params, scopeCondition } from './scope-condition.ts'

/** Changes to the caller's messages (§5.2–5.3) and the record of its consultations. */

/**
 * Marks a message read when its main content is consulted (§5.2): once — the first time sets read_at, later
 * reads change nothing. The first read of an enterprise e-Box's message queues EES `readDocument` in the same
 * transaction (citizen e-Boxes have no EES events). Returns whether this call marked it.
 */
export async function markRead(pool: pg.Pool, scope: MessageScope, messageId: string): Promise<boolean> {
  if (!isMessageId(messageId)) return false
  return inTransaction(pool, async (client) => {
    const params = new Params()
    const { rows } = await client.query<{
      recipient_type: string
      recipient_id: string
      published_at: Date
      expires_at: Date
      registered_mail: boolean
      message_type_id: string
      sender_enterprise_number: string
      sender_application_id: string
    }>(
      `UPDATE messages m SET read_at = now()
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)} AND m.read_at IS NULL
       RETURNING m.recipient_type, m.recipient_id, m.published_at, m.expires_at, m.registered_mail,
                 m.message_type_id, m.sender_enterprise_number, m.sender_application_id`,
      params.values,
    )
    const row = rows[0]
    if (!row) return false
    if (row.recipient_type === 'enterprise') {
      await enqueueEvent(client, 'readDocument', {
        enterpriseId: row.recipient_id,
        messageId,
        receiptDate: formatDateTime(row.published_at),
        expirationDate: formatDateTime(row.expires_at),
        registeredMail: row.registered_mail,
        messageTypeId: row.message_type_id,
        senderOrganizationId: row.sender_enterprise_number,
        senderApplicationId: row.sender_application_id,
      })
    }
    return true
  })
}

export interface MessageUpdate {
  messageId: string
  visible?: boolean
  partitionId?: string
}

/**
 * PATCH /ebox/messages (§5.3): visibility and partition moves, all or nothing. 404 when any id is not a message
 * of the scope; 400 for a partition the caller cannot move messages to. Nothing changes unless everything can.
 */
export async function updateMessages(
  pool: pg.Pool,
  scope: MessageScope,
  updates: MessageUpdate[],
): Promise<void> {
  const ids = updates.map((u) => u.messageId)
  const lower = ids.map((id) => id.toLowerCase())
  if (lower.some((id, index) => lower.indexOf(id) !== index)) {
    throw new RegistryError('INVALID_INPUT', 'A messageId is listed twice.')
  }
  // The same answer for an id of another e-Box and an id that does not exist; no id is echoed back.
  const notFound = () => new RegistryError('NOT_FOUND', 'One or more of the messages do not exist.')
  if (ids.some((id) => !isMessageId(id))) throw notFound()
  const targets = [...new Set(updates.flatMap((u) => (u.partitionId === undefined ? [] : [u.partitionId])))]
  if (targets.length > 0 && scope.ebox.eboxType === 'citizen') {
    throw new RegistryError('INVALID_INPUT', 'Citizen e-Boxes have no partitions.')
  }

  await inTransaction(pool, async (client) => {
    const params = new Params()
    const { rows } = await client.query<{ message_id: string }>(
      `SELECT m.message_id FROM messages m WHERE ${scopeCondition(params, scope)}
         AND m.message_id = ANY(${params.add(ids)}::uuid[])
       ORDER BY m.message_id FOR UPDATE`,
      params.values,
    )
    if (rows.length !== ids.length) throw notFound()
    if (targets.length > 0) {
      const known = await knownPartitions(client, scope.ebox.id)
      const refused = targets.filter(
        (target) =>
          !known.has(target) || (scope.partitions !== undefined && !scope.partitions.includes(target)),
      )
      if (refused.length > 0) {
        throw new RegistryError(
          'INVALID_INPUT',
          `Unknown partition ${refused.map((p) => `"${p}"`).join(', ')}.`,
        )
      }
    }
    const update = new Params()
    await client.query(
      `UPDATE messages m SET visible = coalesce(u.visible, m.visible),
                             partition_id = coalesce(u.partition_id, m.partition_id)
       FROM unnest(${update.add(ids)}::uuid[], ${update.add(updates.map((u) => u.visible ?? null))}::boolean[],
                   ${update.add(updates.map((u) => u.partitionId ?? null))}::text[]) AS u (message_id, visible, partition_id)
       WHERE m.message_id = u.message_id AND ${scopeCondition(update, scope)}`,
      update.values,
    )
  })
}

/**
 * PATCH /ebox/messages/{messageId}/messageAction: marks the action the message asks for executed. Idempotent: the
 * first call sets the execution time, later ones change nothing and answer the same. Undefined when the message is
 * not in the scope; 404 when it asks for no action. No EES event: EES names none for actions (federation-duties §2).
 */
export async function executeMessageAction(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<{ action: MessageAction; changed: boolean } | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const id = params.add(messageId)
  // The row is locked first: of two concurrent calls, the second sees the first's execution time.
  const { rows } = await db.query<
    Pick<MessageRow, 'for_action' | 'action_due_date' | 'action_executed_ms'> & { changed: boolean }
  >(
    `WITH target AS (
       SELECT m.message_id, m.for_action, m.action_due_date, m.action_executed_at FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${id} FOR UPDATE
     ), done AS (
       UPDATE messages m SET action_executed_at = date_trunc('second', now()) FROM target t
       WHERE ${scopeCondition(params, scope)} AND m.message_id = t.message_id
         AND t.for_action AND t.action_executed_at IS NULL
       RETURNING m.action_executed_at
     )
     SELECT t.for_action, to_char(t.action_due_date, 'YYYY-MM-DD') AS action_due_date,
       date_part('epoch', coalesce((SELECT action_executed_at FROM done), t.action_executed_at)) * 1000
         AS action_executed_ms,
       EXISTS (SELECT 1 FROM done) AS changed
     FROM target t`,
    params.values,
  )
  const row = rows[0]
  if (!row) return undefined
  const action = messageActionOf(row)
  if (!action) throw new RegistryError('NOT_FOUND', 'The message asks for no action.')
  return { action, changed: row.changed }
}

/**
 * Partitions of an enterprise e-Box that messages may be moved to: GENERAL, the partitions we know of (demo data,
 * partitions holding messages) and the targets of its routing rules.
 */
async function knownPartitions(client: pg.PoolClient, enterpriseNumber: string): Promise<Set<string>> {
  const { rows } = await client.query<{ partition_id: string }>(
    `SELECT partition_id FROM partitions WHERE enterprise_number = $1
     UNION SELECT partition_id FROM ebox_message_counts
           WHERE recipient_type = 'enterprise' AND recipient_id = $1 AND total > 0
     UNION SELECT partition_id FROM routing_rules WHERE enterprise_number = $1`,
    [enterpriseNumber],
  )
  return new Set([CONTRACT.generalPartition, ...rows.map((row) => row.partition_id)])
}

/** Upsert of eboxes.last_consultation_at, at most once an hour per e-Box and process (publication reads it). */
const CONSULTATION_WRITE_INTERVAL_MS = CONTRACT.consultationRecordIntervalSeconds * 1000
const lastConsultationWrite = new Map<string, number>()

export async function recordConsultation(
  db: Queryable,
  scope: MessageScope,
  now = Date.now(),
): Promise<void> {
  const key = `${scope.ebox.eboxType}:${scope.ebox.id}`
  const last = lastConsultationWrite.get(key)
  if (last !== undefined && now - last < CONSULTATION_WRITE_INTERVAL_MS) return
  lastConsultationWrite.set(key, now)
  if (lastConsultationWrite.size > 100_000) lastConsultationWrite.clear()
  try {
    await db.query(
      `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at) VALUES ($1, $2, now())
       ON CONFLICT (recipient_type, recipient_id) DO UPDATE SET last_consultation_at = now()`,
      [scope.ebox.eboxType, scope.ebox.id],
    )
  } catch (error) {
    lastConsultationWrite.delete(key)
    throw error
  }
}

/** Forgets the throttle (tests, and the certification reset that rewrites e-Boxes). */
export function forgetConsultations(): void {
  lastConsultationWrite.clear()
}
