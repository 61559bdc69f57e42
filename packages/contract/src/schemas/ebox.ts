import { type Static, Type } from '@sinclair/typebox'
import { DateTime } from './common.ts'

const Counts = {
  totalMessages: Type.Integer({ minimum: 0 }),
  unreadMessages: Type.Integer({ minimum: 0 }),
  expiringSoonMessages: Type.Integer({ minimum: 0 }),
  registeredMessages: Type.Integer({ minimum: 0 }),
  unreadRegisteredMessages: Type.Integer({ minimum: 0 }),
  /** Messages asking for an action not yet marked executed (DC v3 draft: "messages requiring action"). */
  actionRequiredMessages: Type.Integer({ minimum: 0 }),
}

/** Statistics (v3, mandatory; shape is our choice, §5.5). */
export const Statistics = Type.Object(
  {
    ...Counts,
    partitions: Type.Array(
      Type.Object({ partitionId: Type.String(), ...Counts }, { additionalProperties: false }),
    ),
  },
  { title: 'Statistics', additionalProperties: false },
)
export type Statistics = Static<typeof Statistics>

/** v2.1 `GET /ebox` summary. */
export const EboxSummary = Type.Object(
  {
    numberOfMessages: Type.Integer({ minimum: 0 }),
    numberOfUnreadMessages: Type.Integer({ minimum: 0 }),
    lastReceiptDate: Type.Optional(DateTime),
    lastConsultationDate: Type.Optional(DateTime),
    /** kB */
    eboxSize: Type.Number({ minimum: 0 }),
  },
  { title: 'EboxSummary', additionalProperties: false },
)
export type EboxSummary = Static<typeof EboxSummary>

export const CertificationVersion = Type.Object(
  { version: Type.String(), apiVersion: Type.String(), build: Type.String() },
  { title: 'CertificationVersion', additionalProperties: false },
)
