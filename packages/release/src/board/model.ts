/**
 * The release board's content, computed from the ledger and the verification records with the same decision
 * modules the workflows use: what each environment runs, what could go to PRD next and why not yet, what was
 * rejected, where a rollback would go and whether the database schema allows it. Instants stay UTC here; the
 * renderer shows them in Brussels time.
 */

import { Value } from '@sinclair/typebox/value'
import type { ActiveFreeze } from '../freeze.ts'
import { frozenUntil } from '../freeze.ts'
import { currentDeployment, everDeployed, rejection, rollbackTarget } from '../ledger.ts'
import { evaluatePromotion, type Refusal } from '../promotion.ts'
import {
  AccEvidence,
  ENVIRONMENTS,
  type Environment,
  type FreezeCalendar,
  type LedgerEntry,
  type Policy,
} from '../schemas.ts'
import type { CommitFacts, CommitFactsOf } from './commit-facts.ts'
import { freezeOutlook } from './freeze-outlook.ts'

export interface BoardInput {
  ledger: LedgerEntry[]
  /** The verification record of a digest ("verified in ACC"), unparsed; undefined when there is none. */
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

export type SchemaStatus = 'same' | 'compatible' | 'check' | 'unknown'

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
  soak: { minutes: number; required: number }
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

function running(input: BoardInput, environment: Environment): Running | undefined {
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
      schema: schemaCompatibility(ledger, environment, target, commitFacts),
    },
  }
}

/**
 * Digests verified in ACC after the one PRD runs, that PRD never ran and nobody rejected, newest first: what a
 * release manager may promote next. Each is judged by `evaluatePromotion`, as the workflow's gate would.
 */
function candidates(input: BoardInput): CandidateView[] {
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
  const seen = new Set<string>()
  const found: CandidateView[] = []
  for (let index = ledger.length - 1; index > prdVerifiedAt && found.length < input.limit; index--) {
    const entry = ledger[index] as LedgerEntry
    if (entry.environment !== 'acc' || entry.action !== 'deploy' || entry.outcome !== 'succeeded') continue
    if (seen.has(entry.digest)) continue
    seen.add(entry.digest)
    if (everDeployed(ledger, 'prd', entry.digest) || rejection(ledger, entry.digest)) continue
    const evidence = input.verificationOf(entry.digest)
    // The board runs no cosign: signature and provenance are verified by the promotion run itself.
    const verdict = evaluatePromotion({
      digest: entry.digest,
      repository: input.repository,
      evidence,
      ledger,
      verification: { signature: 'success', provenance: 'success' },
      calendar: input.calendar,
      policy,
      now,
    })
    const verified = Value.Check(AccEvidence, evidence) ? evidence : undefined
    const verifiedAt = verified?.verifiedAt ?? entry.at
    const soaked = Math.floor((now.getTime() - Date.parse(verifiedAt)) / 60_000)
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
  return {
    generatedAt: now.toISOString(),
    zone: input.calendar.timeZone,
    repository: input.repository,
    repositoryUrl: input.repositoryUrl,
    environments: Object.fromEntries(ENVIRONMENTS.map((env) => [env, running(input, env)])) as Record<
      Environment,
      Running | undefined
    >,
    freeze: {
      inForce: outlook.inForce,
      thaw: outlook.inForce && frozenUntil(input.calendar, now),
      upcoming: outlook.upcoming,
    },
    candidates: candidates(input),
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
