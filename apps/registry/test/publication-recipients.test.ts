import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  CITIZEN,
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  publish,
  publisherToken,
  seedPublicationData,
  storedState,
  TYPE_CITIZEN,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * The recipient checks of publication ask the federation (federation-duties §3.2, §7): e-Box Preferences says
 * whether the e-Box exists (else 201 with NO_DIGITAL_USER), the enterprise status whether the company is active
 * (else 400), and when they cannot be asked the publication is refused with 503 and Retry-After, nothing written.
 */
let registry: TestRegistry
let token: string
const STOPPED = '0417497106'
const UNKNOWN_COMPANY = '0202239951'
const NOT_CONSENTED = '85073003328'
const FRESH = ['0203201340', '0206653946', '0207164185']

beforeAll(async () => {
  registry = await startTestRegistry()
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
  registry.preferences.setCompanyStatus(STOPPED, 'stopped')
  registry.preferences.setCompanyStatus(UNKNOWN_COMPANY, 'unknown')
})
afterAll(() => registry.close())
afterEach(() => registry.preferences.setBehaviour('normal'))

const toEnterprise = (enterpriseNumber: string) =>
  publish(registry.app, token, [
    jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber } })),
    filePart('file1', Buffer.from('%PDF')),
  ])
const toCitizen = (ssin: string) =>
  publish(registry.app, token, [
    jsonPart(messageToPublish({ recipient: { eboxType: 'citizen', ssin }, messageTypeId: TYPE_CITIZEN })),
    filePart('file1', Buffer.from('%PDF')),
  ])

describe('publication asks e-Box Preferences', () => {
  it('a registered enterprise e-Box: 201 without a code; the status and the search were asked', async () => {
    const before = registry.preferences.requests.length
    const response = await toEnterprise(CONSULTED_ENTERPRISE)
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().code).toBeUndefined()
    expect(registry.preferences.requests.slice(before).sort()).toEqual([
      `GET /enterprises/${CONSULTED_ENTERPRISE}`,
      'POST /eboxPreferences/search',
    ])
  })

  it('answers from its cache the second time', async () => {
    const before = registry.preferences.requests.length
    expect((await toEnterprise(CONSULTED_ENTERPRISE)).statusCode).toBe(201)
    expect(registry.preferences.requests.length).toBe(before)
  })

  it('an enterprise without an e-Box: 201 with NO_DIGITAL_USER, the message stored', async () => {
    const response = await toEnterprise(NEW_ENTERPRISE)
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ code: 'NO_DIGITAL_USER', message: expect.any(String) })
    const { rowCount } = await registry.pool.query('SELECT 1 FROM messages WHERE message_id = $1', [
      response.json().messageId,
    ])
    expect(rowCount).toBe(1)
  })

  it('a citizen who consented: no code; one who did not: NO_DIGITAL_USER', async () => {
    const consented = await toCitizen(CITIZEN)
    expect(consented.statusCode, consented.body).toBe(201)
    expect(consented.json().code).toBeUndefined()
    const before = registry.preferences.requests.length
    const other = await toCitizen(NOT_CONSENTED)
    expect(other.statusCode, other.body).toBe(201)
    expect(other.json().code).toBe('NO_DIGITAL_USER')
    // Citizens have no company status to check.
    expect(registry.preferences.requests.slice(before)).toEqual(['POST /citizenEboxConsents/search'])
  })

  it.each([
    ['stopped', STOPPED],
    ['unknown to the CBE', UNKNOWN_COMPANY],
  ])('a %s enterprise: 400 INVALID_INPUT "not a valid company", nothing written', async (_what, number) => {
    const before = await storedState(registry.pool)
    const response = await toEnterprise(number)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`${number} is not a valid company`),
      environment: 'test',
    })
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it.each([
    ['down', 'down', FRESH[0]],
    ['failing (500)', 'error', FRESH[1]],
  ] as const)(
    'e-Box Preferences %s: 503 with Retry-After, nothing written, no guess',
    async (_what, behaviour, number) => {
      registry.preferences.setBehaviour(behaviour)
      const before = await storedState(registry.pool)
      const response = await toEnterprise(number!)
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toMatch(/^\d+$/)
      expect(response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', environment: 'test' })
      expect(response.body).not.toMatch(/at .*\.ts/)
      expect(await storedState(registry.pool)).toEqual(before)
      // A failure is not cached: once the service is back, the same recipient is asked and published to.
      registry.preferences.setBehaviour('normal')
      const again = await toEnterprise(number!)
      expect(again.statusCode, again.body).toBe(201)
      expect(again.json().code).toBe('NO_DIGITAL_USER')
    },
  )
})

describe('without e-Box Preferences configured', () => {
  let bare: TestRegistry
  beforeAll(async () => {
    bare = await startTestRegistry({ EBOX_PREFERENCES_URL: '' })
    await seedPublicationData(bare.pool)
  })
  afterAll(() => bare.close())

  it('refuses publication with 503 and Retry-After rather than guess', async () => {
    const response = await publish(bare.app, await bare.token(publisherToken), [
      jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: FRESH[2] } })),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toMatch(/^\d+$/)
    expect(response.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: expect.stringContaining('EBOX_PREFERENCES_URL'),
    })
    expect((await storedState(bare.pool)).messages).toBe(0)
  })
})
