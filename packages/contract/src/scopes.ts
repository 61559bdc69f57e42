import { DEFAULT_FEDERATION_PROFILE, type FederationProfile } from './federation-profile.ts'

/**
 * Scope names (brief §3.4) and the one table of which scopes each operation accepts.
 * A token needs ANY ONE of the listed scopes.
 */
const PREFIX = 'scope:document:management:consult:ws-eboxrestentreprise'

export const SCOPES = {
  documentConsumer: `${PREFIX}:documentconsumer`,
  messagesFull: `${PREFIX}:messagesfull`,
  summaryOwnEbox: `${PREFIX}:summaryownebox`,
  summaryAllEbox: `${PREFIX}:summaryallebox`,
  referenceData: `${PREFIX}:referencedata`,
  publicationSender: `${PREFIX}:publicationsender`,
  /** The brief (S3) spells the representative scope two ways: accept both until confirmed. */
  representativePublication: `${PREFIX}:eboxrepresentativepublication`,
  representativePublicationAlt:
    'scope:document:management:ws-eboxrestentreprise:eboxrepresentativepublication',
  /**
   * Not published by the federation: the federation profile's defaults (FEDERATION_CERTIFICATION_SCOPE,
   * FEDERATION_WEBHOOK_SCOPE). A running service uses its profile: operationScopes(profile).
   */
  certification: DEFAULT_FEDERATION_PROFILE.scopes.certification,
  eventNotifications: DEFAULT_FEDERATION_PROFILE.scopes.webhook,
  introspect: 'scope:security:authorization:oauth:oauth-autz-server:introspect',
} as const

export type Operation =
  | 'listMessages'
  | 'readMessage'
  | 'updateMessages'
  /** PATCH /ebox/messages/{messageId}/messageAction: a consumer marks the action a message asks for done. */
  | 'updateMessageAction'
  | 'publishMessage'
  | 'statistics'
  | 'summary'
  | 'referenceData'
  | 'resetDataSet'
  | 'eventNotifications'
  /** Optional operations not served: authenticated, then 501 (unimplemented.ts). */
  | 'optionalConsultation'
  | 'optionalPublication'

const CONSULT = [SCOPES.documentConsumer, SCOPES.messagesFull] as const
const PUBLISH = [
  SCOPES.publicationSender,
  SCOPES.representativePublication,
  SCOPES.representativePublicationAlt,
] as const

/** Which scopes open each operation, with the federation's own scopes taken from `profile`. */
export function operationScopes(profile: FederationProfile): Record<Operation, readonly string[]> {
  return { ...PUBLISHED_OPERATION_SCOPES, ...federationOperationScopes(profile) }
}

/** The operations only the federation's services call: their scopes are in the federation profile. */
function federationOperationScopes(profile: FederationProfile) {
  return {
    resetDataSet: [profile.scopes.certification],
    eventNotifications: [profile.scopes.webhook],
  }
}

const PUBLISHED_OPERATION_SCOPES: Omit<
  Record<Operation, readonly string[]>,
  'resetDataSet' | 'eventNotifications'
> = {
  listMessages: CONSULT,
  readMessage: CONSULT,
  updateMessages: CONSULT,
  updateMessageAction: CONSULT,
  publishMessage: PUBLISH,
  statistics: [SCOPES.documentConsumer, SCOPES.summaryOwnEbox, SCOPES.messagesFull],
  summary: [SCOPES.documentConsumer, SCOPES.summaryOwnEbox, SCOPES.messagesFull],
  referenceData: [
    SCOPES.referenceData,
    SCOPES.documentConsumer,
    SCOPES.messagesFull,
    SCOPES.summaryOwnEbox,
    SCOPES.publicationSender,
  ],
  optionalConsultation: CONSULT,
  optionalPublication: PUBLISH,
}

/** The table with the profile's defaults (tools and tests; the service uses operationScopes of its profile). */
export const OPERATION_SCOPES = operationScopes(DEFAULT_FEDERATION_PROFILE)

export function isRepresentativeScope(scope: string): boolean {
  return scope === SCOPES.representativePublication || scope === SCOPES.representativePublicationAlt
}
