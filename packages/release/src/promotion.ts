/**
 * May this digest go to PRD now? Every reason to refuse is collected (not just the first), so the release
 * manager sees the whole picture at once. The workflow runs this twice: in the gate before approval, and again
 * in the `production` job right before `pulumi up`, because a freeze or a rejection may start while the
 * approval waits.
 */
import { type AccStretch, accStretch, type DigestAttestations } from './attestations.ts'
import { evidenceProblems } from './evidence.ts'
import { activeFreeze, frozenUntil } from './freeze.ts'
import {
  accDeployOfCommit,
  currentDeployment,
  type Deployed,
  everDeployed,
  rejection,
  rollbackTarget,
} from './ledger.ts'
import {
  type AccEvidence,
  type FreezeCalendar,
  type LedgerEntry,
  type Policy,
  ReleaseError,
} from './schemas.ts'
import { formatLocal } from './zoned.ts'

export type Decision = 'promote' | 'rollback'

export type RefusalCode =
  | 'NO_EVIDENCE'
  | 'INVALID_EVIDENCE'
  | 'VERIFICATION_FAILED'
  | 'SOAK_INCOMPLETE'
  | 'FROZEN'
  | 'REJECTED'
  | 'NEVER_IN_PRD'
  | 'SCHEMA_INCOMPATIBLE'

export interface Refusal {
  code: RefusalCode
  message: string
  /** For refusals that lift with time (soak, freeze): when. */
  clearsAt?: string
}

/** What the workflow deploys when the verdict allows it: always the pair the ledger or the evidence names. */
export interface Candidate {
  digest: string
  image: string
  commit: string
}

export interface Verdict {
  decision: Decision
  digest: string
  evaluatedAt: string
  promotable: boolean
  refusals: Refusal[]
  candidate?: Candidate
  /** What PRD runs now, and where an automatic rollback would go if this deployment fails. */
  current?: Deployed
  rollbackTo?: Deployed
  /** Why there is no automatic rollback target (a failed deployment then stops and pages). */
  noRollback?: string
  /** The digest's latest continuous stay in ACC, from signed deploy records. */
  acc?: AccStretch
  /** The signed ACC verification the verdict rests on: what the approver's summary shows. */
  evidence?: AccEvidence
}

/** A step outcome as GitHub reports it: `success`, `failure`, `cancelled` or `skipped`. */
export interface Verification {
  signature: string
  provenance: string
}

export interface PromotionInput {
  digest: string
  repository: string
  /** What trusted, signed statements say about the digest (see attestations.ts). */
  attested: DigestAttestations
  /** Whether the verified commit is an ancestor of main. */
  onMain: boolean
  /**
   * Trusted statements about digests PRD ran before, by digest: the automatic rollback target must need the
   * same database schema as the candidate.
   */
  history: Record<string, DigestAttestations>
  /** Readable history: what ran where. It can add refusals (a rejection) but never proves anything. */
  ledger: LedgerEntry[]
  verification: Verification
  calendar: FreezeCalendar
  policy: Policy
  now: Date
  /**
   * For a proposal made right after ACC: refusals that lift with time (soak, freeze) do not stop the run from
   * asking for approval; the check after approval still enforces them.
   */
  allowWaiting?: boolean
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const ZONE = 'Europe/Brussels'

export function assertDigest(digest: string): void {
  if (!DIGEST.test(digest))
    throw new ReleaseError('INVALID_INPUT', `"${digest}" is not an image digest (sha256:<64 hex>)`)
}

function verificationRefusals({ signature, provenance }: Verification): Refusal[] {
  const refusals: Refusal[] = []
  if (signature !== 'success')
    refusals.push({
      code: 'VERIFICATION_FAILED',
      message: `the image signature did not verify (cosign verify: ${signature})`,
    })
  if (provenance !== 'success')
    refusals.push({
      code: 'VERIFICATION_FAILED',
      message: `the build provenance did not verify (gh attestation verify: ${provenance})`,
    })
  return refusals
}

/** A signed rejection refuses; so does one the ledger records (a ledger line can only refuse, never allow). */
function rejectionRefusal(ledger: LedgerEntry[], digest: string, attested?: DigestAttestations): Refusal[] {
  const signed = attested?.rejections[0]?.predicate
  if (signed)
    return [{ code: 'REJECTED', message: `rejected by ${signed.actor} at ${signed.at}: ${signed.reason}` }]
  const rejected = rejection(ledger, digest)
  if (!rejected) return []
  const reason = rejected.reasons.join('; ') || 'no reason given'
  return [{ code: 'REJECTED', message: `rejected by ${rejected.actor} at ${rejected.at}: ${reason}` }]
}

export function evaluatePromotion(input: PromotionInput): Verdict {
  const { digest, ledger, now, policy } = input
  assertDigest(digest)
  const refusals: Refusal[] = []
  let evidence: AccEvidence | undefined

  const { attested } = input
  const signedBy = 'signed by deploy-acc.yml on refs/heads/main'
  if (!attested.verification) {
    const distrusted =
      attested.distrusted.length > 0 ? `; not trusted: ${attested.distrusted.join('; ')}` : ''
    refusals.push({
      code: 'NO_EVIDENCE',
      message: `no ACC verification of ${digest} ${signedBy}${distrusted}`,
    })
  } else {
    const verified = attested.verification.predicate
    const problems = evidenceProblems(verified, digest, input.repository, policy)
    if (attested.provenanceCommit === undefined) problems.push(`no build provenance ${signedBy}`)
    else if (attested.provenanceCommit !== verified.commit)
      problems.push(
        `ACC verified commit ${verified.commit}, but the image was built from ${attested.provenanceCommit}`,
      )
    if (!input.onMain) problems.push(`commit ${verified.commit} is not on main`)
    if (problems.length > 0)
      refusals.push({
        code: 'INVALID_EVIDENCE',
        message: `the ACC verification does not hold: ${problems.join('; ')}`,
      })
    else evidence = verified
  }

  refusals.push(...verificationRefusals(input.verification))

  const acc = accStretch(attested)
  if (evidence && acc) refusals.push(...soakRefusals(acc, policy.minimumSoakMinutes, now))

  const freeze = activeFreeze(input.calendar, now)
  const thaw = frozenUntil(input.calendar, now)
  if (freeze && thaw)
    refusals.push({
      code: 'FROZEN',
      message: `PRD is frozen (${freeze.name}: ${freeze.reason}) until ${formatLocal(ZONE, thaw.getTime())}`,
      clearsAt: thaw.toISOString(),
    })

  refusals.push(...rejectionRefusal(ledger, digest, attested))

  const waitable = (refusal: Refusal): boolean =>
    input.allowWaiting === true && refusal.clearsAt !== undefined
  return {
    decision: 'promote',
    digest,
    evaluatedAt: now.toISOString(),
    promotable: refusals.every(waitable),
    refusals,
    candidate: evidence && { digest, image: evidence.image, commit: evidence.commit },
    current: currentDeployment(ledger, 'prd'),
    ...(evidence ? compatibleRollback(ledger, digest, evidence.schemaVersion, input.history) : {}),
    ...(acc ? { acc } : {}),
    ...(evidence ? { evidence } : {}),
  }
}

function soakRefusals(acc: AccStretch, minimumMinutes: number, now: Date): Refusal[] {
  const since = Date.parse(acc.since)
  const soakEnds = since + minimumMinutes * 60_000
  const until = acc.until === undefined ? now.getTime() : Date.parse(acc.until)
  if (until >= soakEnds) return []
  const soaked = Math.max(0, Math.floor((until - since) / 60_000))
  if (acc.until !== undefined)
    return [
      {
        code: 'SOAK_INCOMPLETE',
        message: `ran ${soaked} of ${minimumMinutes} minutes in ACC: ACC moved on${acc.movedOnTo ? ` to ${acc.movedOnTo}` : ''} at ${formatLocal(ZONE, until)}; deploy it to ACC again to soak`,
      },
    ]
  return [
    {
      code: 'SOAK_INCOMPLETE',
      message: `soaked ${soaked} of ${minimumMinutes} minutes in ACC; promotable from ${formatLocal(ZONE, soakEnds)}`,
      clearsAt: new Date(soakEnds).toISOString(),
    },
  ]
}

/**
 * Where an automatic rollback may go: the most recent digest PRD ran (per the ledger), not the candidate, not
 * rejected, whose signed ACC verification names the same schema version as the candidate's. Migrations only go
 * forward, so an image built for another schema is no way back.
 */
export function compatibleRollback(
  ledger: LedgerEntry[],
  leaving: string,
  schemaVersion: string,
  history: Record<string, DigestAttestations>,
): Pick<Verdict, 'rollbackTo' | 'noRollback'> {
  const seen = new Set<string>()
  let previous = rollbackTarget(ledger, 'prd', leaving)
  const tried: string[] = []
  while (previous && !seen.has(previous.digest)) {
    seen.add(previous.digest)
    const facts = history[previous.digest]
    const version = facts?.verification?.predicate.schemaVersion
    if (version === schemaVersion && rejectionRefusal(ledger, previous.digest, facts).length === 0)
      return { rollbackTo: previous }
    tried.push(`${previous.digest} (${version ? `schema ${version}` : 'no trusted ACC verification'})`)
    const earlier = ledger.filter((entry) => !seen.has(entry.digest))
    previous = rollbackTarget(earlier, 'prd', leaving)
  }
  return {
    noRollback:
      tried.length === 0
        ? 'PRD ran nothing before: nothing to roll back to'
        : `no earlier PRD release needs schema ${schemaVersion}: ${tried.join(', ')}`,
  }
}

/**
 * A rollback requested by a release manager: back to a digest PRD already ran. Soak and freeze do not apply
 * (a rollback is how an incident ends); a rejected or unverifiable image is still refused.
 */
export function evaluateRollback(
  input: Omit<PromotionInput, 'calendar' | 'policy' | 'onMain' | 'allowWaiting'>,
): Verdict {
  const { digest, ledger, now } = input
  assertDigest(digest)
  const refusals: Refusal[] = []
  const ran = everDeployed(ledger, 'prd', digest)
  if (!ran)
    refusals.push({
      code: 'NEVER_IN_PRD',
      message: `${digest} never ran in PRD: promote it instead of rolling back`,
    })
  const current = currentDeployment(ledger, 'prd')
  const target = input.attested.verification?.predicate
  const running = current && input.history[current.digest]?.verification?.predicate
  if (!target)
    refusals.push({
      code: 'NO_EVIDENCE',
      message: `no ACC verification of ${digest} signed by deploy-acc.yml on refs/heads/main`,
    })
  else if (!running || running.schemaVersion !== target.schemaVersion)
    refusals.push({
      code: 'SCHEMA_INCOMPATIBLE',
      message: running
        ? `${digest} needs schema ${target.schemaVersion}, PRD runs ${running.schemaVersion}: no rollback across migrations`
        : 'the schema PRD runs now is not known from a signed ACC verification: no rollback',
    })
  refusals.push(
    ...verificationRefusals(input.verification),
    ...rejectionRefusal(ledger, digest, input.attested),
  )
  return {
    decision: 'rollback',
    digest,
    evaluatedAt: now.toISOString(),
    promotable: refusals.length === 0,
    refusals,
    candidate: ran && target && { digest, image: target.image, commit: target.commit },
    current,
  }
}

/**
 * Which digest a run is about: the one given; else, for a proposal after ACC, the digest ACC verified for the
 * commit; else, for a rollback, the previous good PRD digest.
 */
export function resolveDigest(
  request: { decision: Decision | 'reject'; digest?: string; commit?: string },
  ledger: LedgerEntry[],
): string {
  if (request.digest) {
    assertDigest(request.digest)
    return request.digest
  }
  if (request.decision === 'promote' && request.commit) {
    const deployed = accDeployOfCommit(ledger, request.commit)
    if (!deployed) throw new ReleaseError('INVALID_INPUT', `ACC never verified commit ${request.commit}`)
    return deployed.digest
  }
  if (request.decision === 'rollback') {
    const current = currentDeployment(ledger, 'prd')
    const target = current && rollbackTarget(ledger, 'prd', current.digest)
    if (!target) throw new ReleaseError('INVALID_INPUT', 'PRD has no earlier good digest to roll back to')
    return target.digest
  }
  throw new ReleaseError('INVALID_INPUT', `a ${request.decision} needs a digest`)
}
