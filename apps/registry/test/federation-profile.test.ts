import { randomUUID } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scopeOf } from '../src/auth/caller.ts'
import { type ConfigError, loadConfig } from '../src/config.ts'
import {
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  publish,
  publisherToken,
  seedPublicationData,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Go-live is a configuration change: every name of the federation profile (FEDERATION_*) that the federation may
 * publish differently is read from the configuration, and the service follows it from the outside — the old
 * default names stop working, the configured ones work.
 */
const ENTERPRISE = '0406798006'
const REPRESENTED = '0417497106'
const USER = '85073003328'
const GO_LIVE = {
  FEDERATION_WEBHOOK_SCOPE: 'scope:golive:webhook',
  FEDERATION_CERTIFICATION_SCOPE: 'scope:golive:certification',
  FEDERATION_EVENT_USER_RIGHT_ADDED: 'be.golive.userRight.granted',
  FEDERATION_USER_RIGHTS_PATH: '/ebox/{enterpriseNumber}/userRights/{ssin}',
  FEDERATION_CITIZEN_SSIN_CLAIM: 'urn:golive:ssin',
  FEDERATION_CONSULT_MANDATE_OPERATION: 'consultation',
  FEDERATION_PREFERENCES_SEARCH_PATH: '/v2/eboxPreferences/search',
  FEDERATION_PREFERENCES_SCOPE: 'scope:golive:preference',
}

let registry: TestRegistry
beforeAll(async () => {
  registry = await startTestRegistry(GO_LIVE)
  registry.app.get('/test/scope', { config: { operation: 'listMessages' } }, (request) => scopeOf(request))
  await registry.app.ready()
  await seedPublicationData(registry.pool)
})
afterAll(() => registry.close())

const scope = async (token: string, headers: Record<string, string> = {}) =>
  registry.app.inject({ url: '/test/scope', headers: { authorization: `Bearer ${token}`, ...headers } })

const userRightEvent = (type: string) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'https://federation.example/partition',
  type,
  time: new Date(Date.now() - 1000).toISOString(),
  data: { enterpriseNumber: ENTERPRISE, partitionId: 'partitionB', ssin: USER },
})

const postEvent = async (scopes: string[], body: unknown) =>
  registry.app.inject({
    method: 'POST',
    url: '/eventNotifications',
    headers: {
      authorization: `Bearer ${await registry.token({ scopes, cbe: undefined, clientId: 'federation' })}`,
      'content-type': 'application/cloudevents+json',
    },
    payload: JSON.stringify(body),
  })

describe('the federation profile, overridden', () => {
  it('the webhook takes the configured scope and event type only', async () => {
    const event = userRightEvent(GO_LIVE.FEDERATION_EVENT_USER_RIGHT_ADDED)
    expect((await postEvent([SCOPES.eventNotifications], event)).statusCode).toBe(403)
    expect((await postEvent([GO_LIVE.FEDERATION_WEBHOOK_SCOPE], event)).statusCode).toBe(204)
    const old = userRightEvent('be.eboxenterprise.v1.partitionUserRight.added')
    const refused = await postEvent([GO_LIVE.FEDERATION_WEBHOOK_SCOPE], old)
    expect(refused.statusCode).toBe(400)
    expect(refused.json().message).toMatch(/Unknown event type/)
  })

  it('resetDataSet takes the configured certification scope only', async () => {
    const reset = async (scopes: string[]) =>
      registry.app.inject({
        method: 'POST',
        url: '/certification/resetDataSet',
        headers: { authorization: `Bearer ${await registry.token({ scopes, cbe: undefined })}` },
      })
    expect((await reset([SCOPES.certification])).statusCode).toBe(403)
    expect([401, 403]).not.toContain((await reset([GO_LIVE.FEDERATION_CERTIFICATION_SCOPE])).statusCode)
  })

  it("a human user's rights are asked at the configured path", async () => {
    const before = registry.partitions.requests.length
    const response = await scope(
      await registry.token({ scopes: [SCOPES.documentConsumer], sub: '90010100123' }),
    )
    expect(response.statusCode, response.body).toBe(200)
    expect(registry.partitions.requests.slice(before)).toEqual([
      `GET /ebox/${ENTERPRISE}/userRights/90010100123`,
    ])
  })

  it("a citizen's SSIN is read from the configured claim", async () => {
    // The local issuer puts the SSIN under the same configured claim (registry.ts); the default one is absent.
    const token = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: undefined, ssin: USER })
    expect((await scope(token)).json()).toEqual({ ebox: { eboxType: 'citizen', id: USER } })
  })

  it('a consult mandate is asked with the configured operation', async () => {
    registry.partitions.grantMandate(REPRESENTED, ENTERPRISE, GO_LIVE.FEDERATION_CONSULT_MANDATE_OPERATION)
    const token = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: ENTERPRISE })
    const response = await scope(token, { 'on-behalf-of-enterprise-number': REPRESENTED })
    expect(response.json()).toEqual({ ebox: { eboxType: 'enterprise', id: REPRESENTED } })
    expect(registry.partitions.requests).toContain(
      `GET /ebox/${REPRESENTED}/hasMandate?mandataryEnterpriseNumber=${ENTERPRISE}&operation=consultation`,
    )
  })

  it('e-Box Preferences is asked at the configured path with the configured scope', async () => {
    const before = registry.preferences.requests.length
    const response = await publish(registry.app, await registry.token(publisherToken), [
      jsonPart(
        messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: CONSULTED_ENTERPRISE } }),
      ),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json().code).toBeUndefined()
    expect(registry.preferences.requests.slice(before)).toContain('POST /v2/eboxPreferences/search')
  })
})

describe('an invalid profile', () => {
  it('stops the configuration with one line per variable', () => {
    let problems: string[] = []
    try {
      loadConfig({
        DATABASE_URL: 'postgres://x@127.0.0.1/x',
        OAUTH_ISSUER: 'https://issuer.example',
        OAUTH_AUDIENCE: 'aud',
        OAUTH_JWKS_URL: 'https://issuer.example/jwks',
        FEDERATION_USER_RIGHTS_PATH: '/ebox/{enterpriseNumber}/partitions',
        FEDERATION_WEBHOOK_SCOPE: 'two words',
      })
    } catch (error) {
      problems = (error as ConfigError).problems
    }
    expect(problems).toEqual([
      expect.stringMatching(/^FEDERATION_WEBHOOK_SCOPE must be one name/),
      expect.stringMatching(/^FEDERATION_USER_RIGHTS_PATH must contain \{enterpriseNumber\} and \{ssin\}/),
    ])
  })
})
