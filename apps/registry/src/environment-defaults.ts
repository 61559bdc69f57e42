import type { DeploymentEnvironment } from '@ebox/contract'

/**
 * Federation endpoints and portal origins per environment (brief §2 and §3.5): the ONE place they are written.
 * Each value is a default that its environment variable overrides. Environments without a row (development,
 * test, integration, simulation) have no defaults: their variables must be set wherever they are needed.
 */
export interface EnvironmentDefaults {
  /** OAuth v5 token endpoint; also the audience of our client assertions. */
  oauthTokenUrl: string
  /** OAuth v5 introspection endpoint (RFC 7662). */
  oauthIntrospectionUrl: string
  /** The federation's Partition service v1. */
  partitionServiceUrl: string
  /** The federation's web services v1: e-Box Preferences, citizen consents (federation-duties §3.2). */
  eboxPreferencesUrl: string
  /** Browser origins of the e-Box portal, allowed by CORS. */
  corsOrigins: readonly string[]
  /** The e-Box Event Service v2, where the worker posts events (federation-duties §2.3). */
  eesUrl: string
}

const ACC_BASE = 'https://services-acpt.socialsecurity.be/REST'
const PRD_BASE = 'https://services.socialsecurity.be/REST'

export const ENVIRONMENT_DEFAULTS: Partial<Record<DeploymentEnvironment, EnvironmentDefaults>> = {
  acceptation: {
    oauthTokenUrl: `${ACC_BASE}/oauth/v5/token`,
    oauthIntrospectionUrl: `${ACC_BASE}/oauth/v5/introspect`,
    partitionServiceUrl: `${ACC_BASE}/ebox/enterprise/partition/v1`,
    eboxPreferencesUrl: `${ACC_BASE}/ebox/enterprise/federation/v1`,
    corsOrigins: ['https://wwwacc.eboxenterprise.be'],
    eesUrl: 'https://public.int.fedservices.be/EventServices/Ebox/v2/enterprise/document/events',
  },
  production: {
    oauthTokenUrl: `${PRD_BASE}/oauth/v5/token`,
    // [I] in the brief: by symmetry with ACC.
    oauthIntrospectionUrl: `${PRD_BASE}/oauth/v5/introspect`,
    // [I] in the brief: the PRD URL was truncated in the source.
    partitionServiceUrl: `${PRD_BASE}/ebox/enterprise/partition/v1`,
    eboxPreferencesUrl: `${PRD_BASE}/ebox/enterprise/federation/v1`,
    corsOrigins: ['https://www.eboxenterprise.be'],
    eesUrl: 'https://public.fedservices.be/EventServices/Ebox/v2/enterprise/document/events',
  },
}

export function defaultsFor(environment: DeploymentEnvironment): EnvironmentDefaults | undefined {
  return ENVIRONMENT_DEFAULTS[environment]
}
