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
  /** Not published by the federation: our choice, see docs/contract-decisions.md. */
  certification: 'scope:document:management:ebox:certification:resetdataset',
  /** Federation events to the webhook: not published either. */
  eventNotifications: 'scope:document:management:ebox:federation:eventnotifications',
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

export const OPERATION_SCOPES: Record<Operation, readonly string[]> = {
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
  resetDataSet: [SCOPES.certification],
  eventNotifications: [SCOPES.eventNotifications],
  optionalConsultation: CONSULT,
  optionalPublication: PUBLISH,
}

export function isRepresentativeScope(scope: string): boolean {
  return scope === SCOPES.representativePublication || scope === SCOPES.representativePublicationAlt
}
