import { randomUUID } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scopeOf } from '../src/auth/caller.ts'
import { routingRulesFor } from '../src/repositories/routing-rules.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** `POST /eventNotifications` (brief §5.8): CloudEvents from the federation, authenticated, idempotent. */
const ENTERPRISE = '0406798006'
const USER = '65020212332'
const SOURCE = 'https://federation.example/partition'

let registry: TestRegistry
let webhookToken: string
beforeAll(async () => {
  registry = await startTestRegistry()
  registry.app.get('/test/scope', { config: { operation: 'listMessages' } }, (request) => scopeOf(request))
  await registry.app.ready()
  webhookToken = await registry.token({
    scopes: [SCOPES.eventNotifications],
    cbe: undefined,
    clientId: 'federation',
  })
})
afterAll(() => registry.close())

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()

function cloudEvent(type: string, data: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: SOURCE,
    type,
    time: minutesAgo(1),
    data,
    ...overrides,
  }
}

const routingEvent = (rules: Array<{ routingRuleId: number; partitionId: string }>, overrides = {}) =>
  cloudEvent(
    'be.eboxenterprise.v1.routingRule.updated',
    { enterpriseNumber: ENTERPRISE, routingRuleId: rules[0]?.routingRuleId ?? 1, orderedRoutingRules: rules },
    overrides,
  )

const post = (body: unknown, options: { token?: string; contentType?: string } = {}) =>
  registry.app.inject({
    method: 'POST',
    url: '/eventNotifications',
    headers: {
      authorization: `Bearer ${options.token ?? webhookToken}`,
      'content-type': options.contentType ?? 'application/cloudevents+json',
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })

const storedRules = () => routingRulesFor(registry.pool, ENTERPRISE)

describe('authentication of the webhook', () => {
  it('401 without a token', async () => {
    const response = await registry.app.inject({ method: 'POST', url: '/eventNotifications', payload: {} })
    expect(response.statusCode).toBe(401)
  })

  it('403 for a token without the webhook scope (a Document Consumer cannot feed events)', async () => {
    const token = await registry.token({ scopes: [SCOPES.documentConsumer] })
    const response = await post(routingEvent([{ routingRuleId: 1, partitionId: 'stolen' }]), { token })
    expect(response.statusCode).toBe(403)
    expect(await storedRules()).toBeUndefined()
  })
})

describe('routing rule events', () => {
  it('204 and the ordered rules replace the stored ones', async () => {
    const event = routingEvent([
      { routingRuleId: 7, partitionId: 'invoices', messageTypeId: 'INVOICE' } as never,
      { routingRuleId: 3, partitionId: 'hr' },
    ])
    expect((await post(event)).statusCode).toBe(204)
    expect(await storedRules()).toEqual([
      { routingRuleId: 7, partitionId: 'invoices', messageTypeId: 'INVOICE' },
      { routingRuleId: 3, partitionId: 'hr' },
    ])
  })

  it('is idempotent on the event id: a redelivery changes nothing', async () => {
    const event = routingEvent([{ routingRuleId: 9, partitionId: 'first' }], { time: minutesAgo(0.5) })
    expect((await post(event)).statusCode).toBe(204)
    const replay = {
      ...event,
      data: { ...event.data, orderedRoutingRules: [{ routingRuleId: 9, partitionId: 'x' }] },
    }
    expect((await post(replay)).statusCode).toBe(204)
    expect(await storedRules()).toEqual([{ routingRuleId: 9, partitionId: 'first' }])
  })

  it('discards a stale event (older time) without error', async () => {
    const stale = routingEvent([{ routingRuleId: 1, partitionId: 'old' }], { time: minutesAgo(30) })
    expect((await post(stale)).statusCode).toBe(204)
    expect(await storedRules()).toEqual([{ routingRuleId: 9, partitionId: 'first' }])
    const { rows } = await registry.pool.query(
      'SELECT applied FROM processed_cloud_events WHERE event_id = $1',
      [stale.id],
    )
    expect(rows).toEqual([{ applied: false }])
  })

  it('a deletion event leaves the remaining ordered rules', async () => {
    const event = cloudEvent(
      'be.eboxenterprise.v1.routingRule.deleted',
      { enterpriseNumber: ENTERPRISE, routingRuleId: 9, orderedRoutingRules: [] },
      { time: minutesAgo(0.1) },
    )
    expect((await post(event)).statusCode).toBe(204)
    expect(await storedRules()).toEqual([])
  })
})

describe('malformed events → 400', () => {
  const valid = () => routingEvent([{ routingRuleId: 1, partitionId: 'p' }])
  it.each([
    ['not JSON', '{"specversion":'],
    ['an array', '[]'],
    ['no id', (({ id, ...rest }) => rest)(valid())],
    ['no time', (({ time, ...rest }) => rest)(valid())],
    ['a time that is no date', { ...valid(), time: 'yesterday at noon please' }],
    ['a time in the future', { ...valid(), time: new Date(Date.now() + 3_600_000).toISOString() }],
    ['another specversion', { ...valid(), specversion: '0.3' }],
    ['an unknown type', { ...valid(), type: 'be.eboxenterprise.v1.somethingElse' }],
    ['a bad enterprise number', { ...valid(), data: { ...valid().data, enterpriseNumber: "0406798006'--" } }],
    [
      'a rule without partition',
      { ...valid(), data: { ...valid().data, orderedRoutingRules: [{ routingRuleId: 1 }] } },
    ],
    ['no data', (({ data, ...rest }) => rest)(valid())],
  ])('%s', async (_case, body) => {
    const response = await post(body)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'INVALID_INPUT' })
  })

  it('415 for another content type', async () => {
    const response = await post('specversion=1.0', { contentType: 'application/x-www-form-urlencoded' })
    expect(response.statusCode).toBe(415)
  })

  it('413 for an oversized event', async () => {
    const big = routingEvent([{ routingRuleId: 1, partitionId: 'x'.repeat(300_000) }])
    expect((await post(big)).statusCode).toBe(413)
  })

  it('accepts plain application/json too', async () => {
    const event = routingEvent([{ routingRuleId: 2, partitionId: 'json' }], { time: minutesAgo(0.05) })
    expect((await post(event, { contentType: 'application/json' })).statusCode).toBe(204)
  })
})

describe('partition and user-right events', () => {
  const currentScope = async () => {
    const token = await registry.token({ scopes: [SCOPES.documentConsumer], sub: USER })
    return (
      await registry.app.inject({ url: '/test/scope', headers: { authorization: `Bearer ${token}` } })
    ).json()
  }

  const now = () => ({ time: new Date().toISOString() })

  it('keep a human user’s cached rights current without asking the Partition service again', async () => {
    registry.partitions.setUserPartitions(ENTERPRISE, USER, ['GENERAL'])
    expect(await currentScope()).toMatchObject({ partitions: ['GENERAL'] })
    const calls = registry.partitions.requests.length

    const added = cloudEvent(
      'be.eboxenterprise.v1.partitionUserRight.added',
      {
        enterpriseNumber: ENTERPRISE,
        partitionId: 'partitionB',
        ssin: USER,
      },
      now(),
    )
    expect((await post(added)).statusCode).toBe(204)
    expect(await currentScope()).toMatchObject({ partitions: ['GENERAL', 'partitionB'] })

    const removed = cloudEvent(
      'be.eboxenterprise.v1.partitionUserRight.removed',
      {
        enterpriseNumber: ENTERPRISE,
        partitionId: 'GENERAL',
        ssin: USER,
      },
      now(),
    )
    expect((await post(removed)).statusCode).toBe(204)
    expect(await currentScope()).toMatchObject({ partitions: ['partitionB'] })

    // A late "added" event for GENERAL, older than the removal, is discarded.
    const late = cloudEvent(
      'be.eboxenterprise.v1.partitionUserRight.added',
      { enterpriseNumber: ENTERPRISE, partitionId: 'GENERAL', ssin: USER },
      { time: minutesAgo(5) },
    )
    expect((await post(late)).statusCode).toBe(204)
    expect(await currentScope()).toMatchObject({ partitions: ['partitionB'] })

    // A removed partition takes every right on it with it.
    const partitionRemoved = cloudEvent(
      'be.eboxenterprise.v1.partition.removed',
      {
        enterpriseNumber: ENTERPRISE,
        partitionId: 'partitionB',
      },
      now(),
    )
    expect((await post(partitionRemoved)).statusCode).toBe(204)
    expect(await currentScope()).toMatchObject({ partitions: [] })

    expect(registry.partitions.requests.length).toBe(calls)
  })

  it('discards an event older than the fetch of the user’s rights', async () => {
    const user = '72031504568'
    registry.partitions.setUserPartitions(ENTERPRISE, user, ['GENERAL'])
    const token = await registry.token({ scopes: [SCOPES.documentConsumer], sub: user })
    const read = async () =>
      (
        await registry.app.inject({ url: '/test/scope', headers: { authorization: `Bearer ${token}` } })
      ).json()
    expect(await read()).toMatchObject({ partitions: ['GENERAL'] })
    const older = cloudEvent('be.eboxenterprise.v1.partitionUserRight.added', {
      enterpriseNumber: ENTERPRISE,
      partitionId: 'secret',
      ssin: user,
    })
    expect((await post(older)).statusCode).toBe(204)
    expect(await read()).toMatchObject({ partitions: ['GENERAL'] })
  })

  it('400 for a right event without a valid SSIN', async () => {
    const event = cloudEvent('be.eboxenterprise.v1.partitionUserRight.added', {
      enterpriseNumber: ENTERPRISE,
      partitionId: 'GENERAL',
      ssin: '12345678901',
    })
    expect((await post(event)).statusCode).toBe(400)
  })
})

describe('webhook clock (issue 23, finding 9)', () => {
  const secondsAhead = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString()

  it('an event more than 30 s in the future is refused, so a later revoke cannot look stale', async () => {
    const user = '80010100107'
    const right = (type: 'added' | 'removed', time: string) =>
      cloudEvent(
        `be.eboxenterprise.v1.partitionUserRight.${type}`,
        { enterpriseNumber: ENTERPRISE, partitionId: 'GENERAL', ssin: user },
        { time },
      )
    const futureGrant = await post(right('added', secondsAhead(120)))
    expect(futureGrant.statusCode).toBe(400)
    expect(futureGrant.json()).toMatchObject({ code: 'INVALID_INPUT', message: 'time lies in the future.' })
    // Within the skew: accepted.
    expect((await post(right('added', secondsAhead(10)))).statusCode).toBe(204)
  })
})
