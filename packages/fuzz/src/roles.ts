import { SCOPES } from '@ebox/contract'
import { DEMO, type DemoMessage } from '@ebox/demo-data'
import type { TokenIssuer } from '@ebox/token-issuer'

/**
 * The callers the fuzzer speaks as: a token of each role the OpenAPI document's operations accept (and a few they
 * must refuse), plus no token and a token that is not one. Regression cases name the role; the token is minted
 * again at replay.
 */
export const ROLES = [
  'none',
  'garbage',
  'expired',
  'consumer',
  'consumerSecond',
  'citizen',
  'summaryOnly',
  'referenceData',
  'publisher',
  'representative',
  'certification',
  'webhook',
] as const
export type Role = (typeof ROLES)[number]

export type RoleTokens = Record<Role, string | undefined>

/** The e-Box a role speaks for, as `enterprise:<number>` or `citizen:<ssin>`; undefined = none. */
export function eboxOfRole(role: Role): string | undefined {
  switch (role) {
    case 'consumer':
    case 'summaryOnly':
    case 'representative':
      return `enterprise:${DEMO.enterprise}`
    case 'consumerSecond':
    case 'publisher':
      return `enterprise:${DEMO.secondEnterprise}`
    case 'citizen':
      return `citizen:${DEMO.citizenSsin}`
    default:
      return undefined
  }
}

export function eboxOfMessage(message: DemoMessage): string {
  return message.recipient.eboxType === 'enterprise'
    ? `enterprise:${message.recipient.enterpriseNumber}`
    : `citizen:${message.recipient.ssin}`
}

const HOUR = 3600

export async function mintRoleTokens(issuer: TokenIssuer): Promise<RoleTokens> {
  const consult = [SCOPES.documentConsumer, SCOPES.referenceData]
  return {
    none: undefined,
    garbage: 'not-a-token',
    expired: await issuer.mint({ scopes: consult, cbe: DEMO.enterprise, expiresIn: -HOUR }),
    consumer: await issuer.mint({ scopes: consult, cbe: DEMO.enterprise, clientId: 'fuzz-consumer' }),
    consumerSecond: await issuer.mint({
      scopes: consult,
      cbe: DEMO.secondEnterprise,
      clientId: 'fuzz-consumer-2',
    }),
    citizen: await issuer.mint({ scopes: consult, ssin: DEMO.citizenSsin, clientId: 'fuzz-citizen' }),
    summaryOnly: await issuer.mint({ scopes: [SCOPES.summaryOwnEbox], cbe: DEMO.enterprise }),
    referenceData: await issuer.mint({ scopes: [SCOPES.referenceData], clientId: 'fuzz-refdata' }),
    // The demo partner organisation (the second enterprise) publishes `information` with `partner-mail`.
    publisher: await issuer.mint({
      scopes: [SCOPES.publicationSender],
      cbe: DEMO.secondEnterprise,
      clientId: 'fuzz-publisher',
    }),
    representative: await issuer.mint({
      scopes: [SCOPES.representativePublication],
      cbe: DEMO.enterprise,
      clientId: 'fuzz-representative',
    }),
    certification: await issuer.mint({ scopes: [SCOPES.certification], clientId: 'fuzz-certification' }),
    webhook: await issuer.mint({ scopes: [SCOPES.eventNotifications], clientId: 'fuzz-federation' }),
  }
}
