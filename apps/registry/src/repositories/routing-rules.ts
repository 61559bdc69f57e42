import type pg from 'pg'
import type { RoutingRule } from '../federation/partition-service.ts'

/**
 * The routing rules of each enterprise as this DP knows them (migrations/0003_publication.sql): cached from the
 * Partition service, replaced by the webhook's routingRule events. Rules are stored in priority order.
 */

/**
 * Replaces every rule of `enterpriseNumber` with `orderedRules` (highest priority first), stamped with
 * `eventTime`. Returns false and changes nothing when the stored rules come from a later event (stale or
 * out-of-order delivery); an event with the same time is applied again (redelivery is harmless).
 * Concurrent calls for one enterprise serialise on its rule-set row.
 */
export async function replaceRoutingRules(
  client: pg.PoolClient,
  enterpriseNumber: string,
  orderedRules: RoutingRule[],
  eventTime: Date,
): Promise<boolean> {
  const stamped = await client.query(
    `INSERT INTO routing_rule_sets (enterprise_number, event_time) VALUES ($1, $2)
     ON CONFLICT (enterprise_number) DO UPDATE SET event_time = EXCLUDED.event_time, updated_at = now()
       WHERE routing_rule_sets.event_time <= EXCLUDED.event_time
     RETURNING enterprise_number`,
    [enterpriseNumber, eventTime],
  )
  if (stamped.rowCount !== 1) return false
  await client.query('DELETE FROM routing_rules WHERE enterprise_number = $1', [enterpriseNumber])
  if (orderedRules.length > 0) {
    await client.query(
      `INSERT INTO routing_rules (enterprise_number, priority, routing_rule_id, partition_id, message_type_id,
                                  sender_application_id, sender_organization_id)
       SELECT $1, rule.priority - 1, rule.routing_rule_id, rule.partition_id, rule.message_type_id,
              rule.sender_application_id, rule.sender_organization_id
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
         WITH ORDINALITY AS rule (routing_rule_id, partition_id, message_type_id, sender_application_id,
                                  sender_organization_id, priority)`,
      [
        enterpriseNumber,
        orderedRules.map((rule) => rule.routingRuleId),
        orderedRules.map((rule) => rule.partitionId),
        orderedRules.map((rule) => rule.messageTypeId ?? null),
        orderedRules.map((rule) => rule.senderApplicationId ?? null),
        orderedRules.map((rule) => rule.senderOrganizationId ?? null),
      ],
    )
  }
  return true
}

interface RoutingRuleRow {
  routing_rule_id: string
  partition_id: string
  message_type_id: string | null
  sender_application_id: string | null
  sender_organization_id: string | null
}

/** The cached rules of `enterpriseNumber`, highest priority first; undefined when nothing is cached for it. */
export async function routingRulesFor(
  db: pg.Pool | pg.PoolClient,
  enterpriseNumber: string,
): Promise<RoutingRule[] | undefined> {
  const { rows } = await db.query<RoutingRuleRow & { known: boolean }>(
    `SELECT true AS known, r.routing_rule_id, r.partition_id, r.message_type_id, r.sender_application_id,
            r.sender_organization_id
     FROM routing_rule_sets s
     LEFT JOIN routing_rules r ON r.enterprise_number = s.enterprise_number
     WHERE s.enterprise_number = $1
     ORDER BY r.priority`,
    [enterpriseNumber],
  )
  if (rows.length === 0) return undefined
  return rows
    .filter((row) => row.partition_id !== null)
    .map((row) => ({
      routingRuleId: Number(row.routing_rule_id),
      partitionId: row.partition_id,
      ...(row.message_type_id !== null && { messageTypeId: row.message_type_id }),
      ...(row.sender_application_id !== null && { senderApplicationId: row.sender_application_id }),
      ...(row.sender_organization_id !== null && { senderOrganizationId: row.sender_organization_id }),
    }))
}

/** What routing looks at in a message (§6.7). */
export interface RoutedMessage {
  messageTypeId: string
  senderApplicationId: string
  senderOrganizationId: string
}

/**
 * The partition a message lands in: the target of the first rule (in priority order) whose every named
 * criterion equals the message's value; GENERAL when none matches (federation-duties §3.3).
 */
export function routeMessage(
  rules: readonly RoutingRule[],
  message: RoutedMessage,
  fallback: string,
): string {
  const match = rules.find(
    (rule) =>
      (rule.messageTypeId === undefined || rule.messageTypeId === message.messageTypeId) &&
      (rule.senderApplicationId === undefined || rule.senderApplicationId === message.senderApplicationId) &&
      (rule.senderOrganizationId === undefined || rule.senderOrganizationId === message.senderOrganizationId),
  )
  return match?.partitionId ?? fallback
}
