/**
 * The formats the pipeline writes and reads: ACC evidence, ledger entries, the freeze calendar and the policy.
 * Every file is validated on read, so a hand-edited or truncated record refuses a promotion instead of
 * slipping through.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export const Digest = Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'image digest' })
export const CommitSha = Type.String({ pattern: '^[0-9a-f]{40}$' })
/** An instant in UTC, as `Date.prototype.toISOString` writes it. */
export const Instant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?Z$' })
/** `repository@sha256:…`: what Pulumi's `registry:image` config receives. */
export const ImageRef = Type.String({ pattern: '^[a-z0-9][a-z0-9./_-]*@sha256:[0-9a-f]{64}$' })

export const CONFORMANCE_PROFILES = ['prod', 'certification'] as const
export type ConformanceProfile = (typeof CONFORMANCE_PROFILES)[number]

export const ChangesetSummary = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    releases: Type.Record(
      Type.String(),
      Type.Union([Type.Literal('major'), Type.Literal('minor'), Type.Literal('patch'), Type.Literal('none')]),
    ),
    summary: Type.String(),
  },
  { additionalProperties: false },
)
export type ChangesetSummary = Static<typeof ChangesetSummary>

export const ConformanceResult = Type.Object(
  {
    profile: Type.Union(CONFORMANCE_PROFILES.map((profile) => Type.Literal(profile))),
    passed: Type.Boolean(),
    /** Path of the stored report.json on the ledger branch, and its hash. */
    report: Type.String({ minLength: 1 }),
    reportSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
)
export type ConformanceResult = Static<typeof ConformanceResult>

export const LoadCheckReport = Type.Object(
  {
    passed: Type.Boolean(),
    requests: Type.Integer({ minimum: 0 }),
    errors: Type.Integer({ minimum: 0 }),
    p95Ms: Type.Number({ minimum: 0 }),
    maxErrorRate: Type.Number({ minimum: 0, maximum: 1 }),
    maxP95Ms: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type LoadCheckReport = Static<typeof LoadCheckReport>

export const AccEvidence = Type.Object(
  {
    schema: Type.Literal('ebox.acc-evidence/v2'),
    digest: Digest,
    image: ImageRef,
    commit: CommitSha,
    /** When ACC started running the digest (the end of its `pulumi up`), and when every gate had passed. */
    deployedAt: Instant,
    verifiedAt: Instant,
    runUrl: Type.String({ minLength: 1 }),
    /**
     * The database schema the image needs: the name of its newest migration. A rollback only goes to a
     * release with the same schema version.
     */
    schemaVersion: Type.String({ pattern: '^[0-9]{4}_[a-z0-9_]+$' }),
    /** Changesets pending at the commit: what this image carries beyond the last released versions. */
    changesets: Type.Array(ChangesetSummary),
    conformance: Type.Array(ConformanceResult, { minItems: 1 }),
    loadCheck: LoadCheckReport,
  },
  { additionalProperties: false },
)
export type AccEvidence = Static<typeof AccEvidence>

export const ENVIRONMENTS = ['acc', 'prd'] as const
export type Environment = (typeof ENVIRONMENTS)[number]

export const LedgerEntry = Type.Object(
  {
    schema: Type.Literal('ebox.ledger/v1'),
    at: Instant,
    environment: Type.Union(ENVIRONMENTS.map((name) => Type.Literal(name))),
    action: Type.Union([
      Type.Literal('deploy'),
      Type.Literal('promote'),
      Type.Literal('reject'),
      Type.Literal('rollback'),
    ]),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('refused')]),
    /** For a rollback: the digest rolled back to. */
    digest: Digest,
    /**
     * The commit whose infra program ran with the digest: a stack always runs such a pair. Absent only on a
     * refusal of a digest that has no evidence.
     */
    commit: Type.Optional(CommitSha),
    /** Who triggered the run, and who approved it in the `production` environment. */
    actor: Type.String({ minLength: 1 }),
    approvedBy: Type.Array(Type.String()),
    runUrl: Type.String({ minLength: 1 }),
    /** Path of the ACC evidence on the ledger branch, when there is one. */
    evidence: Type.Optional(Type.String()),
    /** For a rollback: the digest that was replaced. */
    replaced: Type.Optional(Digest),
    reasons: Type.Array(Type.String()),
  },
  { additionalProperties: false },
)
export type LedgerEntry = Static<typeof LedgerEntry>

const LocalDateTimeText = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$' })
const LocalTimeText = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' })
export const WEEKDAYS = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const
const Weekday = Type.Union(WEEKDAYS.map((day) => Type.Literal(day)))

export const FreezeCalendar = Type.Object(
  {
    timeZone: Type.Literal('Europe/Brussels'),
    /** One-off windows, local time: start inclusive, end exclusive. */
    windows: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          start: LocalDateTimeText,
          end: LocalDateTimeText,
          reason: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    /** Windows that come back every week, e.g. from Friday 16:00 to Monday 08:00. */
    weekly: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          from: Type.Object({ day: Weekday, time: LocalTimeText }, { additionalProperties: false }),
          to: Type.Object({ day: Weekday, time: LocalTimeText }, { additionalProperties: false }),
          reason: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type FreezeCalendar = Static<typeof FreezeCalendar>

export const Policy = Type.Object(
  {
    /** How long a digest must have been verified in ACC before it may reach PRD. */
    minimumSoakMinutes: Type.Integer({ minimum: 0 }),
    /** How old the update plan saved at the gate may be when the deploy job applies it. */
    maxPlanAgeMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60 }),
    /** Conformance profiles whose passing ACC run a promotion requires. */
    requiredProfiles: Type.Array(Type.Union(CONFORMANCE_PROFILES.map((profile) => Type.Literal(profile))), {
      minItems: 1,
    }),
    loadCheck: Type.Object(
      {
        paths: Type.Array(Type.String({ pattern: '^/' }), { minItems: 1 }),
        durationSeconds: Type.Integer({ minimum: 1, maximum: 300 }),
        connections: Type.Integer({ minimum: 1, maximum: 64 }),
        maxErrorRate: Type.Number({ minimum: 0, maximum: 1 }),
        maxP95Ms: Type.Number({ minimum: 1 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
)
export type Policy = Static<typeof Policy>

/** A failure the pipeline reports as-is: a stable code for the tests, a message for the release manager. */
export class ReleaseError extends Error {
  constructor(
    readonly code: 'INVALID_INPUT' | 'INVALID_RECORD' | 'GIT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'ReleaseError'
  }
}

/** Returns `value` typed by `schema`, or throws a ReleaseError that lists what is wrong and where. */
export function validate<T extends TSchema>(schema: T, value: unknown, what: string): Static<T> {
  if (Value.Check(schema, value)) return value
  const problems = [...Value.Errors(schema, value)]
    .slice(0, 5)
    .map((error) => `${error.path || '/'}: ${error.message}`)
  throw new ReleaseError('INVALID_RECORD', `${what} is not valid: ${problems.join('; ')}`)
}
