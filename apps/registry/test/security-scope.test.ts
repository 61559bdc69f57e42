import { SCOPES } from '@ebox/contract'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { scopeOf } from '../src/auth/caller.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Who may see what (brief §3.3): the e-Box of the token, partitions of human users from the Partition service
 * (cached), and mandates for On-Behalf-Of-Enterprise-Number. Probed through a route that reports the scope.
 */
const ENTERPRISE = '0406798006'
const OTHER_ENTERPRISE = '0202239951'
const USER = '85073003328'
const OTHER_USER = '90010100123'
const consult = [SCOPES.documentConsumer]

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry()
  registry.app.get('/test/scope', { config: { operation: 'listMessages' } }, (request) => scopeOf(request))
  await registry.app.ready()
  registry.partitions.setUserPartitions(ENTERPRISE, USER, ['GENERAL', 'partitionB'])
})
afterAll(() => registry.close())
afterEach(() => registry.partitions.setBehaviour('normal'))

const scope = async (token: string, headers: Record<string, string> = {}) =>
  registry.app.inject({ url: '/test/scope', headers: { authorization: `Bearer ${token}`, ...headers } })

describe('message scope', () => {
  it('an application of the enterprise sees every partition of its e-Box', async () => {
    const response = await scope(await registry.token({ scopes: consult, cbe: '406798006', clientId: 'dc' }))
    expect(response.json()).toEqual({ ebox: { eboxType: 'enterprise', id: ENTERPRISE } })
  })

  it('a citizen sees the citizen e-Box of the SSIN attribute', async () => {
    const response = await scope(await registry.token({ scopes: consult, cbe: undefined, ssin: USER }))
    expect(response.json()).toEqual({ ebox: { eboxType: 'citizen', id: USER } })
  })

  it('a human user sees only the partitions the Partition service grants, cached', async () => {
    const token = await registry.token({ scopes: consult, sub: USER })
    const before = registry.partitions.requests.length
    expect((await scope(token)).json()).toEqual({
      ebox: { eboxType: 'enterprise', id: ENTERPRISE },
      partitions: ['GENERAL', 'partitionB'],
    })
    expect((await scope(token)).json()).toMatchObject({ partitions: ['GENERAL', 'partitionB'] })
    const calls = registry.partitions.requests.slice(before)
    expect(calls).toEqual([`GET /ebox/${ENTERPRISE}/users/${USER}/partitions`])
  })

  it('a human user without any right sees no partition at all', async () => {
    const response = await scope(await registry.token({ scopes: consult, sub: OTHER_USER }))
    expect(response.json()).toMatchObject({ partitions: [] })
  })

  it('503 when the Partition service is down and nothing is cached (never all partitions)', async () => {
    registry.partitions.setBehaviour('down')
    const response = await scope(await registry.token({ scopes: consult, sub: '71060832102' }))
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
  })
})

describe('On-Behalf-Of-Enterprise-Number', () => {
  it('without a mandate: 403 NO_MANDATE', async () => {
    const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': OTHER_ENTERPRISE })
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'NO_MANDATE' })
    expect(response.body).not.toContain(OTHER_ENTERPRISE)
  })

  it('with a consult mandate: the represented e-Box', async () => {
    registry.partitions.grantMandate('0417497106', ENTERPRISE, 'consult')
    const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': '0417497106' })
    expect(response.json()).toEqual({ ebox: { eboxType: 'enterprise', id: '0417497106' } })
    expect(registry.partitions.requests).toContain(
      `GET /ebox/0417497106/hasMandate?mandataryEnterpriseNumber=${ENTERPRISE}&operation=consult`,
    )
  })

  it('a publish mandate does not open consultation', async () => {
    registry.partitions.grantMandate('0403170701', ENTERPRISE, 'publish')
    const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': '0403170701' })
    expect(response.json()).toMatchObject({ code: 'NO_MANDATE' })
  })

  it('naming the own enterprise needs no mandate', async () => {
    const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': ENTERPRISE })
    expect(response.json()).toEqual({ ebox: { eboxType: 'enterprise', id: ENTERPRISE } })
  })

  it.each(['123', '0406798007', "0406798006' OR 1=1", 'x'.repeat(10_000)])(
    '400 for a malformed header %#',
    async (value) => {
      const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
      const response = await scope(token, { 'on-behalf-of-enterprise-number': value })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ code: 'INVALID_INPUT' })
    },
  )

  it('a citizen cannot act for an enterprise', async () => {
    const token = await registry.token({ scopes: consult, cbe: undefined, ssin: USER })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': ENTERPRISE })
    expect(response.json()).toMatchObject({ code: 'NO_MANDATE' })
  })

  it('503 when the mandate cannot be checked', async () => {
    registry.partitions.setBehaviour('error')
    const token = await registry.token({ scopes: consult, cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': '0203430576' })
    expect(response.statusCode).toBe(503)
  })
})
