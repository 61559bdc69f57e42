import { exportPKCS8 } from 'jose'
import { createClientCredentials } from './client-credentials.ts'
import { INTROSPECT_SCOPE } from './constants.ts'
import {
  type EboxPreferencesPaths,
  type EboxPreferencesScopes,
  type EboxPreferencesStandIn,
  startEboxPreferencesStandIn,
} from './ebox-preferences.ts'
import type { TokenIssuer } from './issuer.ts'

export interface RegistryFederationOptions {
  /** The registry's own OAuth client id at the issuer. */
  clientId: string
  paths: EboxPreferencesPaths
  scopes: EboxPreferencesScopes
  /** Enterprise e-Boxes and consenting citizens e-Box Preferences knows from the start. */
  enterprises: readonly string[]
  citizens: readonly string[]
  stopped?: readonly string[]
}

export interface RegistryFederation {
  preferences: EboxPreferencesStandIn
  /** What the registry reads to call e-Box Preferences with its own client (OAUTH_CLIENT_*, EBOX_PREFERENCES_URL). */
  env: Record<'OAUTH_CLIENT_ID' | 'OAUTH_CLIENT_KEY' | 'EBOX_PREFERENCES_URL', string>
}

/**
 * What a registry needs at the local issuer to publish: its own `private_key_jwt` client, allowed to introspect
 * and to call e-Box Preferences, and the e-Box Preferences stand-in speaking the given profile's names.
 * Used by the quickstart, the registry's tests and the fuzzer, so the three stay configured alike.
 */
export async function startRegistryFederation(
  issuer: TokenIssuer,
  options: RegistryFederationOptions,
): Promise<RegistryFederation> {
  const client = await createClientCredentials(options.clientId)
  const { eboxPreferences, citizenConsents, enterpriseStatus } = options.scopes
  await issuer.registerClient(options.clientId, client.publicJwk, {
    scopes: [INTROSPECT_SCOPE, ...new Set([eboxPreferences, citizenConsents, enterpriseStatus])],
  })
  const preferences = await startEboxPreferencesStandIn({
    introspect: (token) => issuer.introspect(token),
    paths: options.paths,
    scopes: options.scopes,
    enterprises: options.enterprises,
    citizens: options.citizens,
    stopped: options.stopped,
  })
  return {
    preferences,
    env: {
      OAUTH_CLIENT_ID: options.clientId,
      OAUTH_CLIENT_KEY: await exportPKCS8(client.privateKey),
      EBOX_PREFERENCES_URL: preferences.url,
    },
  }
}
