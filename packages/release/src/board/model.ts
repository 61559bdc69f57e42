/**
 * The release board's content, computed from the ledger and the verification records with the same decision
 * modules the workflows use: what each environment runs, what could go to PRD next and why not yet, what was
 * rejected, where a rollback would go and whether the database schema allows it. Instants stay UTC here; the
 * renderer shows them in Brussels time.
 */

import { accStretch, type DigestAttestations } from '../attestations.ts'
import type { ActiveFreeze } from '../freeze.ts'
import { frozenUntil } from '../freeze.ts'
import { currentDeployment, everDeployed, rejection, rollbackTarget } from '../ledger.ts'
import { evaluatePromotion, type Refusal } from '../promotion.ts'
import {
  ENVIRONMENTS,
  type Environment,
  type FreezeCalendar,
  type LedgerEntry,
  type Policy,
} from '../schemas.ts'
import type { CommitFacts, CommitFactsOf } from './commit-facts.ts'
import { freezeOutlook } from './freeze-outlook.ts'
import { attestationsOf, FROM_THE_LEDGER } from './sources.ts'

export interface BoardInput {
  ledger: LedgerEntry[]
  /**
   * The verification record of a digest ("verified in ACC", `ebox.acc-evidence/v2`), unparsed; undefined when
   * there is none. The board does not check signatures: see `attestationsOf`.
   */
  verificationOf: (digest: string) => unknown
  calendar: FreezeCalendar
  policy: Policy
  /** `repository` of the images (`ghcr.io/owner/ebox-registry`) and https://github.com/owner/repo. */
  repository: string
  repositoryUrl: string
  commitFacts: CommitFactsOf
  now: Date
  /** How many history rows, candidates and rejections to show. */
  limit: number
  /** How far ahead to list freeze windows. */
  freezeHorizonDays?: number
}

export type SchemaStatus = 'same' | 'compatible' | 'check' | 'differs' | 'unknown'

export interface SchemaCompatibility {
  status: SchemaStatus
  /** Migrations the database has that the target does not ship. */
  extra: string[]
  detail: string
}

export interface Release {
  digest: string
  commit: string
  facts: CommitFacts
}

export interface Running extends Release {
  environment: Environment
  /** The ledger entry that made it run: deploy, promote or rollback. */
  since: LedgerEntry
  rollback?: Release & { at: string; schema: SchemaCompatibility }
}

export interface CandidateView extends Release {
  verifiedAt: string
  verifiedRunUrl: string
  promotable: boolean
  refusals: Refusal[]
  /** Continuous time in ACC (`accStretch`): a stay that ended (ACC moved on) counts only up to its end. */
  soak: { minutes: number; required: number; since?: string; until?: string; source: string }
}

export interface RejectedView {
  entry: LedgerEntry
  facts: CommitFacts
}

export interface HistoryRow {
  entry: LedgerEntry
  facts: CommitFacts
}

export interface Board {
  generatedAt: string
  zone: string
  repository: string
  repositoryUrl: string
  environments: Record<Environment, Running | undefined>
  freeze: { inForce?: ActiveFreeze; thaw?: Date; upcoming: ActiveFreeze[] }
  candidates: CandidateView[]
  rejected: RejectedView[]
  history: HistoryRow[]
  minimumSoakMinutes: number
}

const EMPTY: CommitFacts = {}

/** Entries after which an environment ran the entry's digest; `failed` ones ran their migrations too. */
const ran = (entry: LedgerEntry, environment: Environment, outcomes: string[]): boolean =>
  entry.environment === environment &&
  entry.commit !== undefined &&
  entry.action !== 'reject' &&
  outcomes.includes(entry.outcome)

/**
 * Can the target image run on the database the environment has now? Rolling back never rolls the schema back
 * (docs/operations.md), and a migration is only written to keep the release before it working. So every
 * migration the database has beyond the target's must have been applied first by the deployment that directly
 * followed a deployment of the target's commit; anything later is "check by hand".
 */
export function schemaCompatibility(
  ledger: LedgerEntry[],
  environment: Environment,
  target: { commit: string },
  commitFacts: CommitFactsOf,
): SchemaCompatibility {
  const targetMigrations = commitFacts(target.commit).migrations
  if (!targetMigrations)
    return {
      status: 'unknown',
      extra: [],
      detail: `the migrations of ${target.commit} are not in this clone`,
    }
  const firstAppliedAfter = new Map<string, string | undefined>()
  let previous: string | undefined
  for (const entry of ledger) {
    // A failed deployment may have run its migration job; a refused one changed nothing.
    if (!ran(entry, environment, ['succeeded', 'failed']) || !entry.commit) continue
    const migrations = commitFacts(entry.commit).migrations
    if (!migrations)
      return {
        status: 'unknown',
        extra: [],
        detail: `the migrations of ${entry.commit} are not in this clone`,
      }
    for (const name of migrations) if (!firstAppliedAfter.has(name)) firstAppliedAfter.set(name, previous)
    if (entry.outcome === 'succeeded') previous = entry.commit
  }
  const extra = [...firstAppliedAfter.keys()].filter((name) => !targetMigrations.includes(name)).sort()
  if (extra.length === 0)
    return { status: 'same', extra, detail: 'same schema: the database has no migration the target lacks' }
  const late = extra.filter((name) => firstAppliedAfter.get(name) !== target.commit)
  if (late.length === 0)
    return {
      status: 'compatible',
      extra,
      detail: `${extra.join(', ')} came with the release right after the target, and migrations keep the release before them working`,
    }
  return {
    status: 'check',
    extra,
    detail: `${late.join(', ')} came after a later release than the target: check that they only add to the schema before rolling back`,
  }
}

/**
 * The promotion model only rolls back to a release whose ACC verification names the schema version the running
 * one names (promotion.ts). Where both records say, that decides; the migration history explains the rest.
 */
export function withSchemaVersions(
  byMigrations: SchemaCompatibility,
  running: string | undefined,
  target: string | undefined,
): SchemaCompatibility {
  if (!running || !target) return byMigrations
  if (running === target)
    return {
      status: 'same',
      extra: [],
      detail: `same schema: both verification records name ${target}`,
    }
  return {
    status: 'differs',
    extra: byMigrations.extra,
    detail: `the target needs schema ${target}, the running release ${running}: the pipeline refuses a rollback across schema versions (by the migrations: ${byMigrations.detail})`,
  }
}

function running(
  input: BoardInput,
  environment: Environment,
  attested: (digest: string) => DigestAttestations,
): Running | undefined {
  const { ledger, commitFacts } = input
  const deployed = currentDeployment(ledger, environment)
  if (!deployed) return undefined
  const since = ledger.findLast((entry) => ran(entry, environment, ['succeeded'])) as LedgerEntry
  const target = rollbackTarget(ledger, environment, deployed.digest)
  return {
    environment,
    digest: deployed.digest,
    commit: deployed.commit,
    facts: commitFacts(deployed.commit),
    since,
    rollback: target && {
      digest: target.digest,
      commit: target.commit,
      at: target.at,
      facts: commitFacts(target.commit),
      schema: withSchemaVersions(
        schemaCompatibility(ledger, environment, target, commitFacts),
        attested(deployed.digest).verification?.predicate.schemaVersion,
        attested(target.digest).verification?.predicate.schemaVersion,
      ),
    },
  }
}

/**
 * Digests verified in ACC after the one PRD runs, that PRD never ran and nobody rejected, newest first: what a
 * release manager may promote next. Each is judged by `evaluatePromotion`, as the workflow's gate would.
 */
function candidates(input: BoardInput, attested: (digest: string) => DigestAttestations): CandidateView[] {
  const { ledger, now, policy } = input
  const prd = currentDeployment(ledger, 'prd')
  const prdVerifiedAt = prd
    ? ledger.findLastIndex(
        (entry) =>
          entry.environment === 'acc' &&
          entry.action === 'deploy' &&
          entry.outcome === 'succeeded' &&
          entry.digest === prd.digest,
      )
    : -1
  const history: Record<string, DigestAttestations> = {}
  for (const ran of ledger)
    if (ran.environment === 'prd' && !(ran.digest in history) && everDeployed(ledger, 'prd', ran.digest))
      history[ran.digest] = attested(ran.digest)
  const seen = new Set<string>()
  const found: CandidateView[] = []
  for (let index = ledger.length - 1; index > prdVerifiedAt && found.length < input.limit; index--) {
    const entry = ledger[index] as LedgerEntry
    if (entry.environment !== 'acc' || entry.action !== 'deploy' || entry.outcome !== 'succeeded') continue
    if (seen.has(entry.digest)) continue
    seen.add(entry.digest)
    if (everDeployed(ledger, 'prd', entry.digest) || rejection(ledger, entry.digest)) continue
    const facts = attested(entry.digest)
    // The board runs no cosign and checks no bundle: the promotion run verifies signatures and provenance.
    const verdict = evaluatePromotion({
      digest: entry.digest,
      repository: input.repository,
      attested: facts,
      // Whether the commit is on main is for the promotion run to check in its clone, like the signatures.
      onMain: true,
      history,
      ledger,
      verification: { signature: 'success', provenance: 'success' },
      calendar: input.calendar,
      policy,
      now,
    })
    const verified = facts.verification?.predicate
    const verifiedAt = verified?.verifiedAt ?? entry.at
    const stay = accStretch(facts)
    const soaked = stay
      ? Math.floor(((stay.until ? Date.parse(stay.until) : now.getTime()) - Date.parse(stay.since)) / 60_000)
      : 0
    found.push({
      digest: entry.digest,
      commit: verified?.commit ?? (entry.commit as string),
      facts: input.commitFacts(verified?.commit ?? (entry.commit as string)),
      verifiedAt,
      verifiedRunUrl: verified?.runUrl ?? entry.runUrl,
      promotable: verdict.promotable,
      refusals: verdict.refusals,
      soak: {
        minutes: Math.max(0, Math.min(policy.minimumSoakMinutes, soaked)),
        required: policy.minimumSoakMinutes,
        ...(stay ? { since: stay.since } : {}),
        ...(stay?.until ? { until: stay.until } : {}),
        source: FROM_THE_LEDGER,
      },
    })
  }
  return found
}

export function buildBoard(input: BoardInput): Board {
  const { ledger, commitFacts, now, limit } = input
  const outlook = freezeOutlook(input.calendar, now, input.freezeHorizonDays ?? 14)
  const factsOf = (entry: LedgerEntry): CommitFacts => (entry.commit ? commitFacts(entry.commit) : EMPTY)
  const newestFirst = [...ledger].reverse()
  const attested = attestationsOf(ledger, input.verificationOf)
  return {
    generatedAt: now.toISOString(),
    zone: input.calendar.timeZone,
    repository: input.repository,
    repositoryUrl: input.repositoryUrl,
    environments: Object.fromEntries(
      ENVIRONMENTS.map((env) => [env, running(input, env, attested)]),
    ) as Record<Environment, Running | undefined>,
    freeze: {
      inForce: outlook.inForce,
      thaw: outlook.inForce && frozenUntil(input.calendar, now),
      upcoming: outlook.upcoming,
    },
    candidates: candidates(input, attested),
    rejected: newestFirst
      .filter((entry) => entry.action === 'reject' && entry.outcome === 'succeeded')
      .slice(0, limit)
      .map((entry) => ({ entry, facts: factsOf(entry) })),
    history: newestFirst
      .filter((entry) => entry.action !== 'reject')
      .slice(0, limit)
      .map((entry) => ({ entry, facts: factsOf(entry) })),
    minimumSoakMinutes: input.policy.minimumSoakMinutes,
  }
}
