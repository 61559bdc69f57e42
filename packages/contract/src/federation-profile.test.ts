import { describe, expect, it } from 'vitest'
import {
  DEFAULT_FEDERATION_PROFILE,
  FEDERATION_PROFILE_VARIABLES,
  fillPath,
  readFederationProfile,
} from './federation-profile.ts'
import { operationScopes } from './scopes.ts'

describe('federation profile', () => {
  it("takes today's guesses when nothing is set", () => {
    const { profile, problems } = readFederationProfile(() => undefined)
    expect(problems).toEqual([])
    expect(profile).toEqual(DEFAULT_FEDERATION_PROFILE)
    expect(profile.scopes.eboxPreferences).toBe(
      'scope:documentmanagement:ebox:enterprise:federation-rest:preference',
    )
    expect(profile.eventTypes.userRightAdded).toEqual([
      'be.eboxenterprise.v1.partitionUserRight.added',
      'be.eboxenterprise.v1.partitionUserRight.created',
    ])
    expect(profile.consultMandateOperation).toBe('consult')
  })

  it('lets every variable override its entry', () => {
    const env: Record<string, string> = {
      FEDERATION_WEBHOOK_SCOPE: 'scope:real:webhook',
      FEDERATION_EVENT_USER_RIGHT_ADDED: ' a.granted , b.granted ',
      FEDERATION_USER_RIGHTS_PATH: '/ebox/{enterpriseNumber}/userRights/{ssin}',
      FEDERATION_CITIZEN_SSIN_CLAIM: 'urn:be:fgov:ssin',
      FEDERATION_CONSULT_MANDATE_OPERATION: 'consultation',
    }
    const { profile, problems } = readFederationProfile((name) => env[name])
    expect(problems).toEqual([])
    expect(profile.scopes.webhook).toBe('scope:real:webhook')
    expect(profile.eventTypes.userRightAdded).toEqual(['a.granted', 'b.granted'])
    expect(profile.paths.userRights).toBe('/ebox/{enterpriseNumber}/userRights/{ssin}')
    expect(profile.citizenSsinClaim).toBe('urn:be:fgov:ssin')
    expect(profile.consultMandateOperation).toBe('consultation')
    expect(operationScopes(profile).eventNotifications).toEqual(['scope:real:webhook'])
    expect(operationScopes(profile).resetDataSet).toEqual([DEFAULT_FEDERATION_PROFILE.scopes.certification])
  })

  it('names each invalid variable and keeps its default', () => {
    const env: Record<string, string> = {
      FEDERATION_WEBHOOK_SCOPE: 'two scopes',
      FEDERATION_USER_RIGHTS_PATH: '/ebox/{enterpriseNumber}/partitions',
      FEDERATION_PREFERENCES_SEARCH_PATH: 'eboxPreferences/search',
      FEDERATION_EVENT_PARTITION_ADDED: ' , ',
    }
    const { profile, problems } = readFederationProfile((name) => env[name])
    expect(problems).toHaveLength(4)
    expect(problems.join('\n')).toMatch(/FEDERATION_WEBHOOK_SCOPE/)
    expect(problems.join('\n')).toMatch(
      /FEDERATION_USER_RIGHTS_PATH must contain \{enterpriseNumber\} and \{ssin\}/,
    )
    expect(problems.join('\n')).toMatch(/FEDERATION_PREFERENCES_SEARCH_PATH/)
    expect(problems.join('\n')).toMatch(/FEDERATION_EVENT_PARTITION_ADDED/)
    expect(profile.scopes.webhook).toBe(DEFAULT_FEDERATION_PROFILE.scopes.webhook)
  })

  it('refuses a list of types with a blank-free but malformed name', () => {
    const { problems } = readFederationProfile((name) =>
      name === 'FEDERATION_EVENT_PARTITION_REMOVED' ? 'ok.type,not ok' : undefined,
    )
    expect(problems).toEqual([expect.stringMatching(/FEDERATION_EVENT_PARTITION_REMOVED/)])
  })

  it('fills path templates with encoded values', () => {
    expect(
      fillPath(DEFAULT_FEDERATION_PROFILE.paths.userRights, { enterpriseNumber: '0406798006', ssin: 'a/b' }),
    ).toBe('/ebox/0406798006/users/a%2Fb/partitions')
    expect(() => fillPath('/x/{y}', {})).toThrow(/\{y\}/)
  })

  it('prefixes every variable with FEDERATION_', () => {
    for (const name of Object.keys(FEDERATION_PROFILE_VARIABLES)) expect(name).toMatch(/^FEDERATION_[A-Z_]+$/)
  })
})
