import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { ENVIRONMENTS } from '../errors.ts'

/** Every TranslatedString the service returns carries all three languages (§6.1, §7.2). */
export const TranslatedString = Type.Object(
  { nl: Type.String(), fr: Type.String(), de: Type.String() },
  { title: 'TranslatedString', additionalProperties: false },
)
export type TranslatedString = Static<typeof TranslatedString>

/** What a sender or an operator may give: any subset of the languages. */
export const PartialTranslatedString = Type.Object(
  {
    nl: Type.Optional(Type.String({ maxLength: 4000 })),
    fr: Type.Optional(Type.String({ maxLength: 4000 })),
    de: Type.Optional(Type.String({ maxLength: 4000 })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type PartialTranslatedString = Static<typeof PartialTranslatedString>

export const EnterpriseNumber = Type.String({ pattern: '^[01][0-9]{9}$', title: 'EnterpriseNumber' })
export const Ssin = Type.String({ pattern: '^[0-9]{11}$', title: 'Ssin' })
export const DateTime = Type.String({ format: 'date-time' })
export const DateOnly = Type.String({ format: 'date' })

export const StatusMessage = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    code: Type.String(),
    message: Type.String(),
    environment: Type.Union(ENVIRONMENTS.map((e) => Type.Literal(e))),
    contact: Type.Optional(Type.String()),
  },
  { title: 'StatusMessage', additionalProperties: false },
)
export type StatusMessage = Static<typeof StatusMessage>

/** `{ items, totalItems }`, the shape of every collection (§7.1). */
export function Collection<T extends TSchema>(item: T, id?: string) {
  return Type.Object(
    { items: Type.Array(item), totalItems: Type.Integer({ minimum: 0 }) },
    id ? { $id: id, additionalProperties: false } : { additionalProperties: false },
  )
}

export const Digest = Type.Object(
  {
    digestMethod: Type.Literal('sha_256'),
    /** base64url (RFC 4648 §5) without padding. */
    digestValue: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  },
  { title: 'Digest', additionalProperties: false },
)
export type Digest = Static<typeof Digest>
