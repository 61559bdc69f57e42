import {
  type FederationProfile,
  isValidEnterpriseNumber,
  isValidSsin,
  normaliseEnterpriseNumber,
  RegistryError,
} from '@ebox/contract'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type pg from 'pg'
import { inTransaction } from '../db/pool.ts'
import type { RoutingRule } from '../federation/partition-service.ts'
import { toRoutingRule } from '../federation/partition-service-client.ts'
import { errorResponses } from '../plugins/external/openapi.ts'
import { markApplied, recordFirstDelivery } from '../repositories/cloud-events.ts'
import { applyPartitionRemoved, applyUserRightEvent } from '../repositories/partition-rights.ts'
import { replaceRoutingRules } from '../repositories/routing-rules.ts'

/**
 * `POST /eventNotifications` (brief §5.8): the federation's CloudEvents (structured mode, JSON), authenticated by
 * the webhook scope. Each (source, id) is applied once; an event older than what it would change is discarded
 * (delivery may be late or out of order); a malformed or unknown event is refused with 400. Answers 204.
 *
 * Event types: routingRule.created/updated/deleted are the federation's (S4); the partition and user-right
 * names were not published: they come from the federation profile (FEDERATION_EVENT_*; docs/contract-decisions.md).
 */
const PREFIX = 'be.eboxenterprise.v1'
const ROUTING_RULE_TYPES = [
  `${PREFIX}.routingRule.created`,
  `${PREFIX}.routingRule.updated`,
  `${PREFIX}.routingRule.deleted`,
]

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i

const CloudEvent = Type.Object(
  {
    specversion: Type.Literal('1.0'),
    id: Type.String({ minLength: 1, maxLength: 256 }),
    source: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.String({ minLength: 1, maxLength: 256 }),
    time: Type.String({ minLength: 20, maxLength: 40 }),
    datacontenttype: Type.Optional(Type.String({ maxLength: 256 })),
    subject: Type.Optional(Type.String({ maxLength: 1024 })),
    data: Type.Object({}, { additionalProperties: true }),
  },
  { additionalProperties: true, description: 'A CloudEvent 1.0 in structured mode' },
)
type CloudEvent = Static<typeof CloudEvent>

const invalid = (message: string) => new RegistryError('INVALID_INPUT', message)

function enterpriseNumberOf(data: Record<string, unknown>): string {
  const raw = data.enterpriseNumber
  const value = typeof raw === 'string' ? normaliseEnterpriseNumber(raw) : ''
  if (!isValidEnterpriseNumber(value))
    throw invalid('data.enterpriseNumber must be a valid enterprise number.')
  return value
}

function partitionIdOf(data: Record<string, unknown>): string {
  const value = data.partitionId
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) {
    throw invalid('data.partitionId must be a partition id.')
  }
  return value
}

function ssinOf(data: Record<string, unknown>): string {
  const value = data.ssin
  if (typeof value !== 'string' || !isValidSsin(value)) throw invalid('data.ssin must be a valid SSIN.')
  return value
}

function orderedRulesOf(data: Record<string, unknown>): RoutingRule[] {
  if (!Number.isSafeInteger(data.routingRuleId)) throw invalid('data.routingRuleId must be an integer.')
  const list = data.orderedRoutingRules
  if (!Array.isArray(list) || list.length > 1000) throw invalid('data.orderedRoutingRules must be a list.')
  return list.map((item, index) => {
    const rule = toRoutingRule(item)
    if (!rule) throw invalid(`data.orderedRoutingRules[${index}] is not a routing rule.`)
    return rule
  })
}

type Apply = (client: pg.PoolClient, data: Record<string, unknown>, time: Date) => Promise<boolean>

type EventTypes = FederationProfile['eventTypes']

/** Validates the event's data and returns what applying it does (true = changed, false = stale). */
function handlerFor(event: CloudEvent, types: EventTypes): Apply {
  const data = event.data as Record<string, unknown>
  const is = (list: readonly string[]) => list.includes(event.type)
  if (is(ROUTING_RULE_TYPES)) {
    const enterpriseNumber = enterpriseNumberOf(data)
    const rules = orderedRulesOf(data)
    return (client, _data, time) => replaceRoutingRules(client, enterpriseNumber, rules, time)
  }
  if (is(types.partitionAdded)) {
    enterpriseNumberOf(data)
    partitionIdOf(data)
    // A new partition grants nobody anything until a right event says so.
    return async () => true
  }
  if (is(types.partitionRemoved)) {
    const enterpriseNumber = enterpriseNumberOf(data)
    const partitionId = partitionIdOf(data)
    return async (client, _data, time) => {
      await applyPartitionRemoved(client, enterpriseNumber, partitionId, time)
      return true
    }
  }
  if (is(types.userRightAdded) || is(types.userRightRemoved)) {
    const granted = is(types.userRightAdded)
    const enterpriseNumber = enterpriseNumberOf(data)
    const partitionId = partitionIdOf(data)
    const ssin = ssinOf(data)
    return (client, _data, time) =>
      applyUserRightEvent(client, enterpriseNumber, ssin, partitionId, granted, time)
  }
  throw invalid(`Unknown event type "${event.type}".`)
}

/**
 * Events may not claim to come from the future beyond `maxFutureSkewMs` (EVENT_MAX_FUTURE_SKEW_SECONDS, 30 s by
 * default): rights are ordered by event time, so a future-dated grant would make a later, correctly dated
 * revoke look stale and the right would stay (issue 23, finding 9; docs/contract-decisions.md).
 */
function timeOf(event: CloudEvent, maxFutureSkewMs: number): Date {
  const time = new Date(event.time)
  if (!RFC3339.test(event.time) || Number.isNaN(time.getTime()))
    throw invalid('time must be an RFC 3339 date-time.')
  if (time.getTime() > Date.now() + maxFutureSkewMs) throw invalid('time lies in the future.')
  return time
}

export interface EventNotificationsOptions {
  /** How far into the future an event's `time` may lie (clock skew), in seconds. */
  maxFutureSkewSeconds: number
  /** CloudEvent types of the partition and user-right events: the federation profile's. */
  eventTypes: EventTypes
}

export default async function eventNotificationsRoutes(
  app: FastifyInstance,
  options: EventNotificationsOptions,
) {
  const maxFutureSkewMs = options.maxFutureSkewSeconds * 1000
  app.addContentTypeParser(
    'application/cloudevents+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  )

  app.post(
    '/eventNotifications',
    {
      config: { operation: 'eventNotifications' },
      bodyLimit: 256 * 1024,
      schema: {
        tags: ['Federation'],
        operationId: 'receiveEventNotification',
        summary: 'Federation events (CloudEvents): routing rules, partitions, partition rights',
        consumes: ['application/cloudevents+json', 'application/json'],
        body: CloudEvent,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const event = request.body as CloudEvent
      const time = timeOf(event, maxFutureSkewMs)
      const apply = handlerFor(event, options.eventTypes)
      const applied = await inTransaction(app.pool, async (client) => {
        // Already processed: answer as the first time.
        if (!(await recordFirstDelivery(client, event, time))) return undefined
        const changed = await apply(client, event.data as Record<string, unknown>, time)
        if (changed) await markApplied(client, event)
        return changed
      })
      request.auditDetails = {
        cloudEventId: event.id,
        cloudEventType: event.type,
        outcome: applied === undefined ? 'duplicate' : applied ? 'applied' : 'stale',
      }
      return reply.code(204).send()
    },
  )
}
