import { DEFAULT_FEDERATION_PROFILE } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SSIN_ATTRIBUTE } from './constants.ts'
import {
  EBOX_PREFERENCES_DEFAULT_PATHS,
  EBOX_PREFERENCES_DEFAULT_SCOPES,
  type EboxPreferencesStandIn,
  startEboxPreferencesStandIn,
} from './ebox-preferences.ts'
import { startTokenIssuer, type TokenIssuer } from './issuer.ts'

const REGISTERED = '0406798006'
const UNREGISTERED = '0852093431'
const CITIZEN = '79072300048'
const PREFERENCE = EBOX_PREFERENCES_DEFAULT_SCOPES.eboxPreferences

describe('e-Box Preferences stand-in', () => {
  let issuer: TokenIssuer
  let standIn: EboxPreferencesStandIn
  let token: string

  beforeAll(async () => {
    issuer = await startTokenIssuer()
    standIn = await startEboxPreferencesStandIn({
      introspect: (t) => issuer.introspect(t),
      enterprises: [REGISTERED],
      citizens: [CITIZEN],
    })
    token = await issuer.mint({ scopes: [PREFERENCE], clientId: 'dp' })
  })
  afterAll(async () => {
    await standIn.close()
    await issuer.close()
  })

  const post = (path: string, body: unknown, bearer = token) =>
    fetch(`${standIn.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('answers an entry per registered enterprise e-Box only', async () => {
    const response = await post('/eboxPreferences/search', {
      eboxType: 'ENTERPRISE',
      eboxIdType: 'EnterpriseNumber',
      eboxIdValueList: [REGISTERED, UNREGISTERED],
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([
      { eboxId: { eboxType: 'ENTERPRISE', eboxIdValue: REGISTERED }, exclusivelyEbox: false },
    ])
  })

  it('answers citizens who consented, and follows changes', async () => {
    const body = { eboxType: 'CITIZEN', eboxIdType: 'SSIN', eboxIdValueList: [CITIZEN] }
    expect(await (await post('/citizenEboxConsents/search', body)).json()).toHaveLength(1)
    standIn.setCitizenConsent(CITIZEN, false)
    expect(await (await post('/citizenEboxConsents/search', body)).json()).toEqual([])
    standIn.setCitizenConsent(CITIZEN, true)
  })

  it('says whether an enterprise is active, stopped or unknown', async () => {
    const status = (cbe: string) =>
      fetch(`${standIn.url}/enterprises/${cbe}`, { headers: { authorization: `Bearer ${token}` } })
    expect(await (await status(REGISTERED)).json()).toEqual({
      enterpriseNumber: REGISTERED,
      status: 'active',
    })
    standIn.setCompanyStatus(UNREGISTERED, 'stopped')
    expect(await (await status(UNREGISTERED)).json()).toMatchObject({ status: 'stopped' })
    standIn.setCompanyStatus(UNREGISTERED, 'unknown')
    expect((await status(UNREGISTERED)).status).toBe(404)
  })

  it('refuses a missing token (401), a token without the scope (403) and a malformed search (400)', async () => {
    const body = { eboxType: 'ENTERPRISE', eboxIdValueList: [REGISTERED] }
    expect((await post('/eboxPreferences/search', body, 'nope')).status).toBe(401)
    const other = await issuer.mint({ scopes: ['scope:other'], clientId: 'dp' })
    expect((await post('/eboxPreferences/search', body, other)).status).toBe(403)
    expect((await post('/eboxPreferences/search', { eboxType: 'CITIZEN', eboxIdValueList: [] })).status).toBe(
      400,
    )
  })

  it('can be down (connection reset) or failing (500)', async () => {
    standIn.setBehaviour('error')
    expect((await post('/eboxPreferences/search', {})).status).toBe(500)
    standIn.setBehaviour('down')
    await expect(post('/eboxPreferences/search', {})).rejects.toThrow()
    standIn.setBehaviour('normal')
  })

  it("uses the federation profile's default names", () => {
    expect(EBOX_PREFERENCES_DEFAULT_PATHS).toEqual({
      eboxPreferencesSearch: DEFAULT_FEDERATION_PROFILE.paths.eboxPreferencesSearch,
      citizenConsentsSearch: DEFAULT_FEDERATION_PROFILE.paths.citizenConsentsSearch,
      enterpriseStatus: DEFAULT_FEDERATION_PROFILE.paths.enterpriseStatus,
    })
    expect(EBOX_PREFERENCES_DEFAULT_SCOPES).toEqual({
      eboxPreferences: DEFAULT_FEDERATION_PROFILE.scopes.eboxPreferences,
      citizenConsents: DEFAULT_FEDERATION_PROFILE.scopes.citizenConsents,
      enterpriseStatus: DEFAULT_FEDERATION_PROFILE.scopes.enterpriseStatus,
    })
    expect(SSIN_ATTRIBUTE).toBe(DEFAULT_FEDERATION_PROFILE.citizenSsinClaim)
  })
})
