import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inTransaction } from '../src/db/pool.ts'
import type { RoutingRule } from '../src/federation/partition-service.ts'
import { replaceRoutingRules, routeMessage, routingRulesFor } from '../src/repositories/routing-rules.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
})
afterAll(() => registry.close())

const ENTERPRISE = '0206731645'
const RULES: RoutingRule[] = [
  { routingRuleId: 7, partitionId: 'HR', messageTypeId: 'payslip', senderOrganizationId: '0406798006' },
  { routingRuleId: 3, partitionId: 'TAX', senderApplicationId: 'taxApp' },
  { routingRuleId: 9, partitionId: 'ALL_FROM_ONSS', senderOrganizationId: '0406798006' },
]

const replace = (rules: RoutingRule[], at: string) =>
  inTransaction(registry.pool, (client) => replaceRoutingRules(client, ENTERPRISE, rules, new Date(at)))

describe('routing-rule cache', () => {
  it('knows nothing of an enterprise before its rules arrive', async () => {
    expect(await routingRulesFor(registry.pool, '0474028805')).toBeUndefined()
  })

  it('stores rules in priority order, criteria included', async () => {
    expect(await replace(RULES, '2025-01-01T10:00:00Z')).toBe(true)
    expect(await routingRulesFor(registry.pool, ENTERPRISE)).toEqual(RULES)
  })

  it('ignores an older event and applies a newer one', async () => {
    expect(await replace([], '2025-01-01T09:59:59Z')).toBe(false)
    expect(await routingRulesFor(registry.pool, ENTERPRISE)).toEqual(RULES)
    const newer = [RULES[1]!, RULES[0]!]
    expect(await replace(newer, '2025-01-01T10:00:01Z')).toBe(true)
    expect(await routingRulesFor(registry.pool, ENTERPRISE)).toEqual(newer)
  })

  it('keeps an empty rule set as known (an empty list, not undefined)', async () => {
    expect(await replace([], '2025-01-02T00:00:00Z')).toBe(true)
    expect(await routingRulesFor(registry.pool, ENTERPRISE)).toEqual([])
  })

  it('serialises concurrent replacements of one enterprise', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        replace([{ routingRuleId: i, partitionId: `P${i}` }], `2025-02-01T00:00:0${i}Z`),
      ),
    )
    expect(results.some(Boolean)).toBe(true)
    // Whatever the arrival order, the newest event wins.
    expect(await routingRulesFor(registry.pool, ENTERPRISE)).toEqual([
      { routingRuleId: 7, partitionId: 'P7' },
    ])
  })
})

describe('routeMessage', () => {
  const message = {
    messageTypeId: 'payslip',
    senderApplicationId: 'taxApp',
    senderOrganizationId: '0406798006',
  }

  it('takes the first rule whose criteria all match', () => {
    expect(routeMessage(RULES, message, 'GENERAL')).toBe('HR')
    expect(routeMessage(RULES, { ...message, messageTypeId: 'other' }, 'GENERAL')).toBe('TAX')
    expect(
      routeMessage(RULES, { ...message, messageTypeId: 'other', senderApplicationId: 'x' }, 'GENERAL'),
    ).toBe('ALL_FROM_ONSS')
  })

  it('falls back to GENERAL when nothing matches', () => {
    expect(
      routeMessage(
        RULES,
        { ...message, senderOrganizationId: '0474028805', senderApplicationId: 'x' },
        'GENERAL',
      ),
    ).toBe('GENERAL')
    expect(routeMessage([], message, 'GENERAL')).toBe('GENERAL')
  })
})
