import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { DEMO, SPINACH_SUBJECT } from '@ebox/demo-data'
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoDataSet } from '../src/demo/seed.ts'
import { type CountingProxy, startCountingProxy } from './support/counting-proxy.ts'
import { filePart, jsonPart, publish } from './support/publication.ts'
import { AUDIENCE, OAUTH_MODES, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * The attack suite (issue 4, SECURITY.md): what a hostile caller tries, from the outside, against the real
 * message routes and the demo data set on PostgreSQL, in both verifier modes. Each attack asserts the exact
 * status and that no message data leaks.
 */
const CBE_ATTRIBUTE = 'urn:be:fgov:kbo-bce:organization:cbe-number'
const consult = [SCOPES.documentConsumer]
/** A portal user of the main e-Box with rights on GENERAL and partitionBid only (not partitionIdNoAccess). */
const USER = '85073003328'
const USER_PARTITIONS: string[] = [DEMO.partitions.general, DEMO.partitions.b]
const LIST = '/ebox/messages'
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Answer {
  statusCode: number
  body: string
  headers: Record<string, unknown>
  json(): unknown
}

/** No message data of any demo e-Box in the answer: ids, subjects, identifiers, file names. */
function expectNoData(response: Answer) {
  expect(response.body).not.toMatch(/de3a0000-/)
  expect(response.body).not.toContain(SPINACH_SUBJECT)
  for (const identifier of [DEMO.enterprise, DEMO.secondEnterprise, DEMO.citizenSsin]) {
    expect(response.body).not.toContain(identifier)
  }
  expect(response.headers['content-disposition']).toBeUndefined()
  expect(response.body).not.toMatch(/\bat .*\.(ts|js):\d+|node_modules|stack/)
}

function expectError(response: Answer, status: number, code: string) {
  expect(response.statusCode).toBe(status)
  expect(response.json()).toMatchObject({ code, environment: 'test' })
  expectNoData(response)
}

/** The error body without its per-answer id: what must be identical between "not yours" and "unknown". */
function sameAs(response: Answer) {
  const { id: _id, ...rest } = response.json() as Record<string, unknown>
  return rest
}

describe.each(OAUTH_MODES)('attack suite — %s verifier', (mode) => {
  let registry: TestRegistry
  let jwks: CountingProxy
  let attacker: Server
  let attackerUrl: string
  let attackerHits = 0
  let attackerKey: CryptoKey

  const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
    registry.app.inject({
      url,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
    })
  const ownToken = (claims: Record<string, unknown> = {}) =>
    registry.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'dc-app', ...claims })
  /** A token signed by the attacker's key, shaped like the issuer's. */
  const forged = (header: Record<string, unknown>, claims: Record<string, unknown> = {}) =>
    new SignJWT({
      scope: consult.join(' '),
      client_id: 'dc-app',
      principalAttributes: { [CBE_ATTRIBUTE]: [DEMO.enterprise] },
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', ...header })
      .setIssuer(registry.issuer.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(attackerKey)

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true })
    attackerKey = pair.privateKey
    const attackerJwk = { ...(await exportJWK(pair.publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' }
    // The attacker's own JWKS, named by `jku`/`x5u` headers: the registry must never fetch it.
    attacker = createServer((_req, res) => {
      attackerHits += 1
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerJwk] }))
    })
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/jwks`

    registry = await startTestRegistry(
      { OAUTH_JWKS_COOLDOWN_SECONDS: '1', INTROSPECTION_TIMEOUT_MS: '500' },
      {
        oauthMode: mode,
        envFromIssuer: async (issuer) => {
          jwks = await startCountingProxy(issuer.jwksUrl)
          return { OAUTH_JWKS_URL: jwks.url }
        },
      },
    )
    await seedDemoDataSet(registry.pool)
    registry.partitions.setUserPartitions(DEMO.enterprise, USER, USER_PARTITIONS)
  })
  afterAll(async () => {
    await registry.close()
    await jwks.close()
    await new Promise<void>((resolve) => attacker.close(() => resolve()))
  }, 120_000)
  afterEach(() => registry.issuer.setIntrospectionBehaviour('normal'))

  it('control: a valid token of the e-Box lists its messages', async () => {
    const response = await get(LIST, await ownToken())
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain(DEMO.messages.mainPdf)
  })

  describe('authentication (401)', () => {
    it('no token', async () => {
      const response = await get(LIST)
      expectError(response, 401, 'UNAUTHENTICATED')
      expect(response.headers['www-authenticate']).toBe('Bearer')
    })

    it.each([
      ['Basic', 'Basic ZGMtYXBwOnNlY3JldA=='],
      ['empty Bearer', 'Bearer'],
      ['two tokens', 'Bearer a.b.c d.e.f'],
      ['lower-case scheme', 'bearer abc'],
      ['token with spaces', 'Bearer  abc'],
      ['control characters', 'Bearer abc\tdef'],
    ])('malformed Authorization header: %s', async (_case, header) => {
      expectError(await get(LIST, undefined, { authorization: header }), 401, 'UNAUTHENTICATED')
    })

    it.each(['garbage', 'not.a.jwt', 'eyJhbGciOiJSUzI1NiJ9.eyJ9.', 'x'.repeat(10_000)])(
      'garbage token %#',
      async (token) => {
        expectError(await get(LIST, token), 401, 'UNAUTHENTICATED')
      },
    )

    it('wrong signature (attacker key under the issuer kid)', async () => {
      expectError(await get(LIST, await forged({ kid: registry.issuer.kid })), 401, 'UNAUTHENTICATED')
    })

    it('a valid token with a tampered payload (more scopes, another e-Box)', async () => {
      const [header, , signature] = (await ownToken()).split('.')
      const payload = Buffer.from(
        JSON.stringify({
          iss: registry.issuer.issuer,
          aud: AUDIENCE,
          exp: Math.floor(Date.now() / 1000) + 300,
          scope: consult.join(' '),
          principalAttributes: { [CBE_ATTRIBUTE]: [DEMO.secondEnterprise] },
        }),
      ).toString('base64url')
      expectError(await get(LIST, `${header}.${payload}.${signature}`), 401, 'UNAUTHENTICATED')
    })

    it('alg: none', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
      const unsigned = `${encode({ alg: 'none', typ: 'at+jwt' })}.${encode({
        iss: registry.issuer.issuer,
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 300,
        scope: consult.join(' '),
        principalAttributes: { [CBE_ATTRIBUTE]: [DEMO.enterprise] },
      })}.`
      expectError(await get(LIST, unsigned), 401, 'UNAUTHENTICATED')
    })

    it('HS256 signed with the issuer public key as secret (algorithm confusion)', async () => {
      const published = (await (await fetch(registry.issuer.jwksUrl)).json()) as { keys: object[] }
      const token = await new SignJWT({
        scope: consult.join(' '),
        principalAttributes: { [CBE_ATTRIBUTE]: [DEMO.enterprise] },
      })
        .setProtectedHeader({ alg: 'HS256', kid: registry.issuer.kid, typ: 'at+jwt' })
        .setIssuer(registry.issuer.issuer)
        .setAudience(AUDIENCE)
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(published.keys[0])))
      expectError(await get(LIST, token), 401, 'UNAUTHENTICATED')
    })

    it('expired', async () => {
      expectError(await get(LIST, await ownToken({ expiresIn: -120 })), 401, 'UNAUTHENTICATED')
    })

    it('nbf in the future', async () => {
      const token = await ownToken({ notBefore: Math.floor(Date.now() / 1000) + 600 })
      expectError(await get(LIST, token), 401, 'UNAUTHENTICATED')
    })

    it('wrong iss', async () => {
      expectError(await get(LIST, await ownToken({ issuer: 'https://evil.example' })), 401, 'UNAUTHENTICATED')
    })

    it('wrong aud', async () => {
      expectError(
        await get(LIST, await ownToken({ audience: 'another-resource-server' })),
        401,
        'UNAUTHENTICATED',
      )
    })

    it('unknown kid: at most one JWKS refetch per cooldown, then 401', async () => {
      await sleep(1100) // past the refetch cooldown
      jwks.reset()
      expectError(await get(LIST, await forged({ kid: 'unknown-1' })), 401, 'UNAUTHENTICATED')
      expectError(await get(LIST, await forged({ kid: 'unknown-2' })), 401, 'UNAUTHENTICATED')
      // jwt: exactly one refetch for both; introspection never reads the JWKS.
      expect(jwks.count()).toBe(mode === 'jwt' ? 1 : 0)
    })

    it('jku / x5u / embedded jwk pointing at the attacker key are ignored', async () => {
      attackerHits = 0
      const attackerJwk = await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)
      for (const header of [
        { kid: 'attacker', jku: attackerUrl },
        { kid: 'attacker', x5u: attackerUrl },
        { jwk: attackerJwk },
      ]) {
        expectError(await get(LIST, await forged(header)), 401, 'UNAUTHENTICATED')
      }
      expect(attackerHits).toBe(0)
    })

    it.runIf(mode === 'introspection')('introspection says inactive (revoked token)', async () => {
      const token = await ownToken()
      registry.issuer.revoke(token)
      const response = await get(LIST, token)
      expectError(response, 401, 'UNAUTHENTICATED')
      expect(response.headers['www-authenticate']).toContain('invalid_token')
    })
  })

  describe('authorisation server failures (503, fail closed)', () => {
    afterEach(() => jwks.setBehaviour('normal'))

    it.runIf(mode === 'introspection').each(['down', 'unavailable', 'error'] as const)(
      'introspection %s → 503, never 401 or data',
      async (how) => {
        const token = await ownToken()
        registry.issuer.setIntrospectionBehaviour(how)
        const response = await get(LIST, token)
        expectError(response, 503, 'AUTHORIZATION_SERVER_UNAVAILABLE')
        expect(response.headers['www-authenticate']).toBeUndefined()
      },
    )

    it.runIf(mode === 'introspection')('introspection slow → 503 within the timeout', async () => {
      const token = await ownToken()
      registry.issuer.setIntrospectionBehaviour('slow', 5000)
      const started = Date.now()
      expectError(await get(LIST, token), 503, 'AUTHORIZATION_SERVER_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(1500)
    })

    // jwt mode reads the authorisation server only for keys it does not hold yet: a rotated key.
    it.runIf(mode === 'jwt').each(['down', 'slow'] as const)(
      'JWKS %s when a new key must be fetched → 503 (within the timeout), never 401 or data',
      async (how) => {
        await sleep(1100) // past the refetch cooldown
        await registry.issuer.rotateKeys()
        const token = await ownToken()
        jwks.setBehaviour(how, 5000)
        const started = Date.now()
        const response = await get(LIST, token)
        expectError(response, 503, 'AUTHORIZATION_SERVER_UNAVAILABLE')
        expect(Date.now() - started).toBeLessThan(1500)
        jwks.setBehaviour('normal')
        expect((await get(LIST, token)).statusCode).toBe(200)
      },
    )
  })

  describe('authorisation (403)', () => {
    it.each([
      ['reference data only', [SCOPES.referenceData]],
      ['publication only', [SCOPES.publicationSender]],
      ['the webhook scope', [SCOPES.eventNotifications]],
      ['the introspect scope', [SCOPES.introspect]],
      ['no scope', []],
    ])('valid token without a consultation scope (%s)', async (_case, scopes) => {
      const token = await registry.token({ scopes, cbe: DEMO.enterprise })
      const response = await get(LIST, token)
      expectError(response, 403, 'FORBIDDEN')
      expect(response.headers['www-authenticate']).toContain('insufficient_scope')
      expectError(await get(`${LIST}/${DEMO.messages.mainPdf}`, token), 403, 'FORBIDDEN')
    })

    it('a token bound to no e-Box reads nothing', async () => {
      const token = await registry.token({ scopes: consult, cbe: undefined })
      expectError(await get(LIST, token), 403, 'FORBIDDEN')
    })

    it('a consultation token cannot feed federation events', async () => {
      const response = await registry.app.inject({
        method: 'POST',
        url: '/eventNotifications',
        headers: { authorization: `Bearer ${await ownToken()}`, 'content-type': 'application/json' },
        payload: {},
      })
      expectError(response, 403, 'FORBIDDEN')
    })
  })

  describe('another e-Box’s data (404, same body as unknown)', () => {
    const unknownId = '00000000-0000-4000-8000-000000000000'
    const paths = (messageId: string) => [
      `${LIST}/${messageId}`,
      `${LIST}/${messageId}/attachments`,
      `${LIST}/${messageId}/attachments/${DEMO.mainAttachmentId}`,
      `${LIST}/${messageId}/attachments/${DEMO.mainAttachmentId}/content`,
    ]

    it.each([
      ['the second enterprise', DEMO.otherMessages.secondPdf],
      ['a citizen', DEMO.otherMessages.citizenPdf],
    ])('message, attachment and content ids of %s', async (_case, foreignId) => {
      const token = await ownToken()
      const state = () =>
        registry.pool.query('SELECT read_at, visible FROM messages WHERE message_id = $1', [foreignId])
      const before = (await state()).rows
      const foreign = paths(foreignId)
      const unknown = paths(unknownId)
      for (const [index, path] of foreign.entries()) {
        const stolen = await get(path, token)
        const missing = await get(unknown[index] ?? '', token)
        expectError(stolen, 404, 'NOT_FOUND')
        expect(sameAs(stolen)).toEqual(sameAs(missing))
      }
      // Reading the content of a main attachment marks a message read: not someone else's.
      expect((await state()).rows).toEqual(before)
    })

    it('PATCH on another e-Box’s message: 404 like an unknown id, and nothing changes', async () => {
      const token = await ownToken()
      const patch = (messageId: string) =>
        registry.app.inject({
          method: 'PATCH',
          url: LIST,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
          payload: { items: [{ messageId, visible: false }], totalItems: 1 },
        })
      const stolen = await patch(DEMO.otherMessages.secondPdf)
      const missing = await patch(unknownId)
      expect(stolen.statusCode).toBe(404)
      // The answer may name the id the caller sent, and nothing else of the message.
      const text = (answer: Answer, id: string) => JSON.stringify(sameAs(answer)).replaceAll(id, '<id>')
      expect(text(stolen, DEMO.otherMessages.secondPdf)).toEqual(text(missing, unknownId))
      expect(stolen.body).not.toContain(SPINACH_SUBJECT)
      expect(stolen.body).not.toContain(DEMO.secondEnterprise)
      const { rows } = await registry.pool.query('SELECT visible FROM messages WHERE message_id = $1', [
        DEMO.otherMessages.secondPdf,
      ])
      expect(rows).toEqual([{ visible: true }])
    })
  })

  describe('identity from the token', () => {
    it('a CBE of 9 digits in the token is padded to 10', async () => {
      const response = await get(LIST, await ownToken({ cbe: DEMO.enterprise.replace(/^0/, '') }))
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain(DEMO.messages.mainPdf)
      expect(response.body).not.toContain(DEMO.otherMessages.secondPdf)
    })

    it('claims of unexpected types never reach a 500', async () => {
      const odd = [
        { scope: [SCOPES.documentConsumer] },
        { scope: 42 },
        { principalAttributes: 'x' },
        { principalAttributes: { [CBE_ATTRIBUTE]: [{ nested: true }] } },
        { sub: 85073003328, client_id: ['a'] },
      ]
      for (const extra of odd) {
        const response = await get(LIST, await ownToken({ extra }))
        expect([200, 401, 403], JSON.stringify(extra)).toContain(response.statusCode)
        if (response.statusCode !== 200) expectNoData(response)
      }
    })

    it('a malformed CBE in the token is refused', async () => {
      expectError(await get(LIST, await ownToken({ cbe: "0406798006' OR '1'='1" })), 401, 'UNAUTHENTICATED')
    })
  })

  describe('partition rights of a human user', () => {
    const userToken = () => registry.token({ scopes: consult, cbe: DEMO.enterprise, sub: USER })

    it('a partition without rights is absent from every list page', async () => {
      const token = await userToken()
      const seen: Array<{ messageId: string; partitionId: string }> = []
      for (let page = 1; page <= 5; page += 1) {
        const response = await get(`${LIST}?pageSize=100&page=${page}`, token)
        expect(response.statusCode).toBe(200)
        const { items } = response.json() as { items: Array<{ messageId: string; partitionId: string }> }
        seen.push(...items)
        if (items.length < 100) break
      }
      expect(seen.length).toBeGreaterThan(0)
      expect(seen.every((item) => USER_PARTITIONS.includes(item.partitionId))).toBe(true)
      expect(seen.map((item) => item.messageId)).not.toContain(DEMO.messages.inNoAccessPartition)
      const filtered = await get(`${LIST}?partitionId=${DEMO.partitions.noAccess}`, token)
      expect(filtered.statusCode).toBe(200)
      expect(filtered.json()).toMatchObject({ items: [], totalItems: 0 })
    })

    it('404 on the detail, attachments and content of a message in that partition', async () => {
      const token = await userToken()
      for (const path of [
        `${LIST}/${DEMO.messages.inNoAccessPartition}`,
        `${LIST}/${DEMO.messages.inNoAccessPartition}/attachments`,
        `${LIST}/${DEMO.messages.inNoAccessPartition}/attachments/${DEMO.mainAttachmentId}/content`,
      ]) {
        expectError(await get(path, token), 404, 'NOT_FOUND')
      }
    })

    it('an application of the same enterprise sees that partition (control)', async () => {
      const response = await get(`${LIST}/${DEMO.messages.inNoAccessPartition}`, await ownToken())
      expect(response.statusCode).toBe(200)
    })
  })

  describe('mandates (On-Behalf-Of-Enterprise-Number)', () => {
    it('consulting on behalf of another enterprise without mandate: 403 NO_MANDATE', async () => {
      const response = await get(LIST, await ownToken(), {
        'on-behalf-of-enterprise-number': DEMO.secondEnterprise,
      })
      expectError(response, 403, 'NO_MANDATE')
    })

    it('publishing on behalf without mandate: 403 NO_MANDATE, nothing stored', async () => {
      const token = await registry.token({
        scopes: [SCOPES.representativePublication],
        cbe: DEMO.enterprise,
      })
      const before = await registry.pool.query('SELECT count(*)::int AS n FROM messages')
      const response = await publish(
        registry.app,
        token,
        [
          jsonPart({
            sender: { eboxType: 'enterprise', enterpriseNumber: DEMO.secondEnterprise },
            recipient: { eboxType: 'enterprise', enterpriseNumber: DEMO.enterprise },
            subject: { fr: 'x' },
            messageTypeId: 'x',
            senderApplicationId: 'x',
            attachments: [{ httpPartName: 'file1', isMainContent: true }],
          }),
          filePart('file1', Buffer.from('%PDF-1.4\n')),
        ],
        { 'on-behalf-of-enterprise-number': DEMO.secondEnterprise },
      )
      expectError(response, 403, 'NO_MANDATE')
      const after = await registry.pool.query('SELECT count(*)::int AS n FROM messages')
      expect(after.rows).toEqual(before.rows)
    })

    it('with a consult mandate the represented e-Box is read (control)', async () => {
      // A service provider (another enterprise) mandated by the second e-Box.
      const provider = '0417497106'
      registry.partitions.grantMandate(DEMO.secondEnterprise, provider, 'consult')
      const response = await get(LIST, await ownToken({ cbe: provider }), {
        'on-behalf-of-enterprise-number': DEMO.secondEnterprise,
      })
      expect(response.statusCode).toBe(200)
      expect(response.body).toContain(DEMO.otherMessages.secondPdf)
      expect(response.body).not.toContain(DEMO.messages.mainPdf)
      // Without the header the provider's own (empty) e-Box, not the represented one.
      const own = await get(LIST, await ownToken({ cbe: provider }))
      expect(own.json()).toMatchObject({ items: [], totalItems: 0 })
    })
  })

  describe('injection and oversized input: 400 or correct empty results, never 500', () => {
    const HOSTILE = [
      "' OR '1'='1",
      "'; DROP TABLE messages; --",
      '%',
      '_',
      '\\',
      '" OR ""="',
      '1) UNION SELECT message_id FROM messages --',
      '$1',
      '😀\u202e',
      'x'.repeat(10 * 1024),
    ]
    const LIST_PARAMETERS = [
      'q',
      'messageTypeId',
      'senderOrganizationId',
      'senderApplicationId',
      'partitionId',
      'receivedBefore',
      'receivedAfter',
      'expiredBefore',
      'expiredAfter',
      'readStatus',
      'visible',
      'registeredMail',
      'page',
      'pageSize',
      'qlang',
    ]

    it('every list parameter', async () => {
      const token = await ownToken()
      for (const name of LIST_PARAMETERS) {
        for (const value of HOSTILE) {
          const query = new URLSearchParams({ [name]: value, ...(name === 'q' ? { qlang: 'fr' } : {}) })
          const response = await get(`${LIST}?${query}`, token)
          expect([200, 400], `${name}=${value.slice(0, 40)} → ${response.statusCode}`).toContain(
            response.statusCode,
          )
          if (response.statusCode === 200) {
            const body = response.json() as { items: unknown[]; totalItems: number }
            if (name === 'q') {
              // Wildcards are literal: '%' finds the one message whose text holds a '%', never all of them.
              expect(body.totalItems, `q=${value.slice(0, 40)}`).toBeLessThanOrEqual(1)
              for (const item of body.items) expect(JSON.stringify(item)).toContain(value)
            } else {
              expect(body, `${name}=${value.slice(0, 40)}`).toMatchObject({ items: [], totalItems: 0 })
            }
          } else expectError(response, 400, 'INVALID_INPUT')
        }
      }
    })

    it('every path parameter', async () => {
      const token = await ownToken()
      for (const value of HOSTILE) {
        const segment = encodeURIComponent(value)
        for (const path of [
          `${LIST}/${segment}`,
          `${LIST}/${segment}/body`,
          `${LIST}/${segment}/paymentData`,
          `${LIST}/${segment}/attachments`,
          `${LIST}/${DEMO.messages.mainPdf}/attachments/${segment}`,
          `${LIST}/${DEMO.messages.mainPdf}/attachments/${segment}/content`,
          ...['messageTypes', 'senderApplications', 'senderOrganizations'].flatMap((collection) => [
            `/referenceData/${collection}/${segment}`,
            `/refData/${collection}/${segment}`,
          ]),
          `/referenceData/senderOrganizations/${segment}/images/${segment}/content`,
        ]) {
          const response = await get(path, token)
          // 414: a 10 kB path segment is refused by the router before any handler runs.
          expect([400, 404, 414], `${path.slice(0, 80)} → ${response.statusCode}`).toContain(
            response.statusCode,
          )
          expect(response.json()).toMatchObject({
            code: { 404: 'NOT_FOUND', 414: 'URI_TOO_LONG' }[response.statusCode] ?? 'INVALID_INPUT',
          })
          expectNoData(response)
        }
      }
    })

    it('paging of reference data and conditional headers', async () => {
      const token = await ownToken()
      for (const value of HOSTILE) {
        for (const name of ['page', 'pageSize']) {
          const query = new URLSearchParams({ [name]: value })
          const response = await get(`/referenceData/messageTypes?${query}`, token)
          expectError(response, 400, 'INVALID_INPUT')
        }
        const conditional = await get('/referenceData/messageTypes', token, { 'if-none-match': value })
        expect(conditional.statusCode).toBe(200)
        const statistics = await get('/ebox/statistics', token, { 'accept-language': value })
        expect(statistics.statusCode).toBe(200)
      }
    })

    it('a malformed percent-encoding in the path', async () => {
      const response = await get(`${LIST}/%E0%A4%A/attachments`, await ownToken())
      expectError(response, 400, 'INVALID_INPUT')
      expect(response.body).not.toContain('%E0')
    })

    it('headers and the PATCH body', async () => {
      const token = await ownToken()
      for (const value of HOSTILE) {
        const onBehalf = await get(LIST, token, { 'on-behalf-of-enterprise-number': value })
        expectError(onBehalf, 400, 'INVALID_INPUT')
        const patch = await registry.app.inject({
          method: 'PATCH',
          url: LIST,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
          payload: { items: [{ messageId: value, partitionId: value }], totalItems: 1 },
        })
        expect([400, 404]).toContain(patch.statusCode)
        expectNoData(patch)
      }
      const { rows } = await registry.pool.query('SELECT count(*)::int AS n FROM messages')
      expect(rows[0].n).toBeGreaterThan(0)
    })
  })

  describe('limits', () => {
    it('oversized body → 413', async () => {
      const response = await registry.app.inject({
        method: 'PATCH',
        url: LIST,
        headers: {
          authorization: `Bearer ${await ownToken()}`,
          'content-type': 'application/merge-patch+json',
        },
        payload: `{"items":[{"messageId":"${'x'.repeat(2 * 1024 * 1024)}","visible":false}],"totalItems":1}`,
      })
      expectError(response, 413, 'PAYLOAD_TOO_LARGE')
    })

    it('rate limit exceeded → 429 with Retry-After', { timeout: 90_000 }, async () => {
      const limited = await startTestRegistry(
        { RATE_LIMIT_PER_CLIENT: '3', RATE_LIMIT_PER_IP: '1000' },
        { oauthMode: mode },
      )
      try {
        await seedDemoDataSet(limited.pool)
        const token = await limited.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'flooder' })
        const call = () => limited.app.inject({ url: LIST, headers: { authorization: `Bearer ${token}` } })
        for (let i = 0; i < 3; i += 1) expect((await call()).statusCode).toBe(200)
        const response = await call()
        expectError(response, 429, 'TOO_MANY_REQUESTS')
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0)
        // Other clients keep their own budget.
        const other = await limited.token({ scopes: consult, cbe: DEMO.enterprise, clientId: 'patient' })
        expect(
          (await limited.app.inject({ url: LIST, headers: { authorization: `Bearer ${other}` } })).statusCode,
        ).toBe(200)
      } finally {
        await limited.close()
      }
    })
  })
})
