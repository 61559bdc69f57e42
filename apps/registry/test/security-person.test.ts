import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoDataSet } from '../src/demo/seed.ts'
import { OAUTH_MODES, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Attack suite, issue 23 finding 3: person or application is decided fail-closed. Every way a token names a
 * person restricts it to that person's partitions; a portal token naming nobody sees no partition, never all.
 */
const SSIN_ATTRIBUTE = 'urn:be:fgov:person:ssin'
const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'
const USER = '85073003328'
const USER_PARTITIONS: string[] = [DEMO.partitions.general, DEMO.partitions.b]
const PORTAL = 'ebox-portal'
const LIST = '/ebox/messages?pageSize=100'
const consult = [SCOPES.documentConsumer]

describe.each(OAUTH_MODES)('person or application — %s verifier', (mode) => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startTestRegistry({ OAUTH_PORTAL_CLIENT_IDS: PORTAL }, { oauthMode: mode })
    await seedDemoDataSet(registry.pool)
    registry.partitions.setUserPartitions(DEMO.enterprise, USER, USER_PARTITIONS)
  })
  afterAll(async () => registry.close(), 120_000)

  const partitionsSeen = async (token: string) => {
    const response = await registry.app.inject({ url: LIST, headers: { authorization: `Bearer ${token}` } })
    expect(response.statusCode).toBe(200)
    const items = (response.json() as { items: { partitionId: string }[] }).items
    return new Set(items.map((item) => item.partitionId))
  }
  const token = (claims: Record<string, unknown>) =>
    registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'some-app', ...claims })

  it('control: an application sees partitions beyond the user’s', async () => {
    const seen = await partitionsSeen(await token({}))
    expect([...seen].some((partition) => !USER_PARTITIONS.includes(partition))).toBe(true)
  })

  it.each([
    ['a bare SSIN sub', { sub: USER }],
    ['a formatted SSIN sub', { sub: '85.07.30-033.28' }],
    ['a numeric sub', { extra: { sub: Number(USER) } }],
    ['the SSIN attribute with another sub', { sub: 'portal-session-42', ssin: USER }],
    [
      'the SSIN attribute of a portal token',
      {
        clientId: PORTAL,
        sub: 'opaque',
        extra: { principalAttributes: { [CBE_ATTRIBUTE]: [DEMO.enterprise], [SSIN_ATTRIBUTE]: [USER] } },
      },
    ],
  ])('a token naming the person by %s sees only their partitions', async (_name, claims) => {
    const seen = await partitionsSeen(await token(claims))
    expect(seen.size).toBeGreaterThan(0)
    for (const partition of seen) expect(USER_PARTITIONS).toContain(partition)
  })

  it.each([
    ['a portal token naming nobody', { clientId: PORTAL, sub: 'opaque-user-handle' }],
    ['a sub that reads as an invalid SSIN', { sub: '85.07.30-033.99' }],
    ['two different people', { sub: USER, ssin: '90022500186' }],
  ])('%s sees no partition', async (_name, claims) => {
    expect((await partitionsSeen(await token(claims))).size).toBe(0)
  })
})
