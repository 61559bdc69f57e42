import { type Static, Type } from '@sinclair/typebox'
import { Collection, EnterpriseNumber, TranslatedString } from './common.ts'

export const IMAGE_MEDIA_TYPES = [
  'image/jpg',
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/svg+xml',
] as const

export const Image = Type.Object(
  {
    imageId: Type.String(),
    size: Type.Number({ minimum: 0 }),
    mediaType: Type.String(),
    contentHref: Type.String({ format: 'uri-reference' }),
    language: Type.Optional(Type.Union([Type.Literal('nl'), Type.Literal('fr'), Type.Literal('de')])),
  },
  { title: 'Image', additionalProperties: false },
)

export const ValidityPeriod = Type.Object(
  {
    validityPeriodNumber: Type.Integer({ minimum: 1 }),
    validityPeriodUnit: Type.Union([Type.Literal('day'), Type.Literal('month'), Type.Literal('year')]),
  },
  { title: 'ValidityPeriod', additionalProperties: false },
)
export type ValidityPeriod = Static<typeof ValidityPeriod>

/** A helpdesk's contact data as one text (Message Registry 2.1: `contactBusiness`/`contactTechnical` are strings). */
const Contact = Type.String({
  description: 'Contact informations (webform, phone, email...); no nominative contact, only a helpdesk.',
})

export const MessageType = Type.Object(
  {
    messageTypeId: Type.String(),
    messageTypeName: TranslatedString,
    messageTypeDescription: Type.Optional(TranslatedString),
    validityPeriod: Type.Optional(ValidityPeriod),
    senderOrganizationIds: Type.Array(EnterpriseNumber),
    senderApplicationIds: Type.Array(Type.String()),
  },
  { title: 'MessageType', additionalProperties: false },
)
export type MessageType = Static<typeof MessageType>
export const MessageTypes = Collection(MessageType, 'MessageTypes')

export const SenderApplication = Type.Object(
  {
    applicationId: Type.String(),
    applicationName: TranslatedString,
    applicationDescription: Type.Optional(TranslatedString),
    applicationLogos: Type.Array(Image),
    applicationUrl: Type.Optional(TranslatedString),
    senderOrganizationIds: Type.Array(EnterpriseNumber),
    messageTypeIds: Type.Array(Type.String()),
    contactBusiness: Type.Optional(Contact),
    contactTechnical: Type.Optional(Contact),
  },
  { title: 'SenderApplication', additionalProperties: false },
)
export type SenderApplication = Static<typeof SenderApplication>
export const SenderApplications = Collection(SenderApplication, 'SenderApplications')

export const SenderOrganization = Type.Object(
  {
    organizationId: EnterpriseNumber,
    organizationShortName: TranslatedString,
    organizationLongName: Type.Optional(TranslatedString),
    organizationLogos: Type.Array(Image),
    organizationUrl: Type.Optional(TranslatedString),
    senderApplicationIds: Type.Array(Type.String()),
    messageTypeIds: Type.Array(Type.String()),
    contactBusiness: Type.Optional(Contact),
    contactTechnical: Type.Optional(Contact),
  },
  { title: 'SenderOrganization', additionalProperties: false },
)
export type SenderOrganization = Static<typeof SenderOrganization>
export const SenderOrganizations = Collection(SenderOrganization, 'SenderOrganizations')

export const PagingQuery = Type.Object(
  {
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
    pageSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
  },
  { additionalProperties: false },
)
