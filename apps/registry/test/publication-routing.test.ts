import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inTransaction } from '../src/db/pool.ts'
import { replaceRoutingRules, routingRulesFor } from '../src/repositories/routing-rules.ts'
import {
  APP,
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  OTHER_SENDER,
  publish,
  publisherToken,
  SENDER,
  seedPublicationData,
  storedState,
  TYPE_DAY,
  TYPE_MONTH,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** Routing of published messages (federation-duties §3.3) and publication under a mandate (§3.3, §7). */
let registry: TestRegistry
let token: string
beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
})
afterAll(() => registry.close())

const pdf = Buffer.from('%PDF-1.7')

async function publishedPartition(overrides: Record<string, unknown>): Promise<string> {
  const response = await publish(registry.app, token, [
    jsonPart(messageToPublish(overrides)),
    filePart('file1', pdf),
  ])
  expect(response.statusCode, response.body).toBe(201)
  const { rows } = await registry.pool.query('SELECT partition_id FROM messages WHERE message_id = $1', [
    response.json().messageId,
  ])
  return rows[0].partition_id
}

const routingRequests = (enterprise: string) =>
  registry.partitions.requests.filter((line) => line === `GET /ebox/${enterprise}/routingRules`).length

describe('routing', () => {
  it('fetches the rules once from the Partition service, caches them and files by the first matching rule', async () => {
    registry.partitions.setRoutingRules(CONSULTED_ENTERPRISE, [
      { routingRuleId: 11, partitionId: 'REMINDERS', messageTypeId: TYPE_DAY },
      { routingRuleId: 12, partitionId: 'PAYROLL', senderOrganizationId: SENDER, senderApplicationId: APP },
      { routingRuleId: 13, partitionId: 'NEVER', senderOrganizationId: OTHER_SENDER },
    ])
    expect(await publishedPartition({ messageTypeId: TYPE_DAY })).toBe('REMINDERS')
    expect(await publishedPartition({ messageTypeId: TYPE_MONTH })).toBe('PAYROLL')
    expect(routingRequests(CONSULTED_ENTERPRISE)).toBe(1)
    expect(await routingRulesFor(registry.pool, CONSULTED_ENTERPRISE)).toHaveLength(3)
  })

  it('follows the cache as the webhook replaces it, and falls back to GENERAL', async () => {
    await inTransaction(registry.pool, (client) =>
      replaceRoutingRules(
        client,
        CONSULTED_ENTERPRISE,
        [{ routingRuleId: 20, partitionId: 'FROM_OTHERS', senderOrganizationId: OTHER_SENDER }],
        new Date(),
      ),
    )
    expect(await publishedPartition({ messageTypeId: TYPE_DAY })).toBe('GENERAL')
    expect(routingRequests(CONSULTED_ENTERPRISE)).toBe(1) // served from the cache
  })

  it('files in GENERAL when the Partition service fails, and caches nothing', async () => {
    registry.partitions.setRoutingRules(NEW_ENTERPRISE, [{ routingRuleId: 1, partitionId: 'ALL' }])
    registry.partitions.setBehaviour('error')
    try {
      const recipient = { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE }
      expect(await publishedPartition({ recipient })).toBe('GENERAL')
      expect(await routingRulesFor(registry.pool, NEW_ENTERPRISE)).toBeUndefined()
    } finally {
      registry.partitions.setBehaviour('normal')
    }
    // Once the service answers again, its rules apply.
    expect(
      await publishedPartition({ recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE } }),
    ).toBe('ALL')
  })

  it('keeps the sender partition', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(
        messageToPublish({
          sender: { eboxType: 'enterprise', enterpriseNumber: SENDER, partition: 'Another_partition' },
        }),
      ),
      filePart('file1', pdf),
    ])
    expect(response.statusCode, response.body).toBe(201)
    const { rows } = await registry.pool.query(
      'SELECT sender_partition FROM messages WHERE message_id = $1',
      [response.json().messageId],
    )
    expect(rows[0].sender_partition).toBe('Another_partition')
  })
})

describe('publication under a mandate', () => {
  const PROVIDER = '0212148896' // a service provider acting for SENDER

  it('publishes for the represented enterprise when the Partition service confirms the mandate', async () => {
    registry.partitions.grantMandate(SENDER, PROVIDER, 'publish')
    const representative = await registry.token({ scopes: [SCOPES.representativePublication], cbe: PROVIDER })
    const response = await publish(
      registry.app,
      representative,
      [jsonPart(messageToPublish()), filePart('file1', pdf)],
      {
        'on-behalf-of-enterprise-number': SENDER,
      },
    )
    expect(response.statusCode, response.body).toBe(201)
    const { rows } = await registry.pool.query(
      'SELECT sender_enterprise_number FROM messages WHERE message_id = $1',
      [response.json().messageId],
    )
    expect(rows[0].sender_enterprise_number).toBe(SENDER)
  })

  it('refuses a sender other than the represented enterprise (INVALID_SENDER)', async () => {
    const representative = await registry.token({
      scopes: [SCOPES.representativePublicationAlt],
      cbe: PROVIDER,
    })
    const before = await storedState(registry.pool)
    const response = await publish(
      registry.app,
      representative,
      [
        jsonPart(messageToPublish({ sender: { eboxType: 'enterprise', enterpriseNumber: PROVIDER } })),
        filePart('file1', pdf),
      ],
      { 'on-behalf-of-enterprise-number': SENDER },
    )
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('INVALID_SENDER')
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('refuses without a mandate (403 NO_MANDATE)', async () => {
    const representative = await registry.token({ scopes: [SCOPES.representativePublication], cbe: PROVIDER })
    const before = await storedState(registry.pool)
    const response = await publish(
      registry.app,
      representative,
      [
        jsonPart(messageToPublish({ sender: { eboxType: 'enterprise', enterpriseNumber: OTHER_SENDER } })),
        filePart('file1', pdf),
      ],
      { 'on-behalf-of-enterprise-number': OTHER_SENDER },
    )
    expect(response.statusCode).toBe(403)
    expect(response.json().code).toBe('NO_MANDATE')
    expect(await storedState(registry.pool)).toEqual(before)
  })
})
