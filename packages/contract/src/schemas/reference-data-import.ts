import { type Static, Type } from '@sinclair/typebox'
import { EnterpriseNumber, PartialTranslatedString } from './common.ts'
import { IMAGE_MEDIA_TYPES, ValidityPeriod } from './reference-data.ts'

/**
 * The file operators give to `registry refdata import FILE.json` (and what the demo data set carries).
 * Property names follow the read-side reference-data model; every entry is created or replaced as a whole,
 * entries the file does not name are left alone.
 */
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' })

const ImageToImport = Type.Object(
  {
    imageId: Id,
    mediaType: Type.Union(IMAGE_MEDIA_TYPES.map((m) => Type.Literal(m))),
    language: Type.Optional(Type.Union([Type.Literal('nl'), Type.Literal('fr'), Type.Literal('de')])),
    /** The image bytes, base64. */
    contentBase64: Type.String({ minLength: 1, maxLength: 1_400_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
  },
  { additionalProperties: false },
)

/** The parts of a contact as earlier import files gave them; stored and served as one text (contactText). */
const ContactParts = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 320 })),
    phone: Type.Optional(Type.String({ maxLength: 50 })),
    url: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
)
export type ContactParts = Static<typeof ContactParts>

/** A contact is a text, as in Message Registry 2.1; the object form of earlier files is still read. */
const ContactToImport = Type.Union([Type.String({ minLength: 1, maxLength: 2000 }), ContactParts])

/** The one text of a contact: as given, or the parts of the earlier object form joined (email, phone, url). */
export function contactText(contact: string | ContactParts | null | undefined): string | undefined {
  if (contact === null || contact === undefined) return undefined
  if (typeof contact === 'string') return contact.trim() || undefined
  const parts = [contact.email, contact.phone, contact.url].filter((part) => part?.trim())
  return parts.length > 0 ? parts.join(', ') : undefined
}

export const SenderOrganizationToImport = Type.Object(
  {
    organizationId: EnterpriseNumber,
    organizationShortName: PartialTranslatedString,
    organizationLongName: Type.Optional(PartialTranslatedString),
    organizationUrl: Type.Optional(PartialTranslatedString),
    contactBusiness: Type.Optional(ContactToImport),
    contactTechnical: Type.Optional(ContactToImport),
    organizationLogos: Type.Optional(Type.Array(ImageToImport, { maxItems: 10 })),
  },
  { additionalProperties: false },
)

export const SenderApplicationToImport = Type.Object(
  {
    applicationId: Id,
    senderOrganizationId: EnterpriseNumber,
    applicationName: PartialTranslatedString,
    applicationDescription: Type.Optional(PartialTranslatedString),
    applicationUrl: Type.Optional(PartialTranslatedString),
    contactBusiness: Type.Optional(ContactToImport),
    contactTechnical: Type.Optional(ContactToImport),
    applicationLogos: Type.Optional(Type.Array(ImageToImport, { maxItems: 10 })),
    /** Which message types this application may publish, and to which kind of e-Box (§6.5). */
    messageTypes: Type.Optional(
      Type.Array(
        Type.Object(
          {
            messageTypeId: Id,
            recipientTypes: Type.Array(Type.Union([Type.Literal('enterprise'), Type.Literal('citizen')]), {
              minItems: 1,
              maxItems: 2,
              uniqueItems: true,
            }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
  },
  { additionalProperties: false },
)

export const MessageTypeToImport = Type.Object(
  {
    messageTypeId: Id,
    messageTypeName: PartialTranslatedString,
    messageTypeDescription: Type.Optional(PartialTranslatedString),
    validityPeriod: ValidityPeriod,
  },
  { additionalProperties: false },
)

export const ReferenceDataImport = Type.Object(
  {
    senderOrganizations: Type.Optional(Type.Array(SenderOrganizationToImport, { maxItems: 10_000 })),
    senderApplications: Type.Optional(Type.Array(SenderApplicationToImport, { maxItems: 10_000 })),
    messageTypes: Type.Optional(Type.Array(MessageTypeToImport, { maxItems: 10_000 })),
  },
  { title: 'ReferenceDataImport', additionalProperties: false },
)
export type ReferenceDataImport = Static<typeof ReferenceDataImport>
export type SenderOrganizationToImport = Static<typeof SenderOrganizationToImport>
export type SenderApplicationToImport = Static<typeof SenderApplicationToImport>
export type MessageTypeToImport = Static<typeof MessageTypeToImport>
