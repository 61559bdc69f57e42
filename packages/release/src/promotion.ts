/**
 * May this digest go to PRD now? Every reason to refuse is collected (not just the first), so the release
 * manager sees the whole picture at once. The workflow runs this twice: in the gate before approval, and again
 * in the `production` job right before `pulumi up`, because a freeze or a rejection may start while the
 * approval waits.
 */
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
}

/** A step outcome as GitHub reports it: `success`, `failure`, `cancelled` or `skipped`. */
export interface Verification {
  signature: string
  provenance: string
}

export interface PromotionInput {
  digest: string
  repository: string
  /** The stored evidence for the digest, unparsed; undefined when there is none. */
  evidence: unknown
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

function rejectionRefusal(ledger: LedgerEntry[], digest: string): Refusal[] {
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

  if (input.evidence === undefined) {
    refusals.push({ code: 'NO_EVIDENCE', message: `no "verified in ACC" evidence for ${digest}` })
  } else {
    const problems = evidenceProblems(input.evidence, digest, input.repository, policy)
    if (problems.length > 0)
      refusals.push({
        code: 'INVALID_EVIDENCE',
        message: `the ACC evidence does not hold: ${problems.join('; ')}`,
      })
    else evidence = input.evidence as AccEvidence
  }

  refusals.push(...verificationRefusals(input.verification))

  if (evidence) {
    const soakEnds = Date.parse(evidence.verifiedAt) + policy.minimumSoakMinutes * 60_000
    if (now.getTime() < soakEnds) {
      const soaked = Math.max(0, Math.floor((now.getTime() - Date.parse(evidence.verifiedAt)) / 60_000))
      refusals.push({
        code: 'SOAK_INCOMPLETE',
        message: `soaked ${soaked} of ${policy.minimumSoakMinutes} minutes in ACC; promotable from ${formatLocal(ZONE, soakEnds)}`,
        clearsAt: new Date(soakEnds).toISOString(),
      })
    }
  }

  const freeze = activeFreeze(input.calendar, now)
  const thaw = frozenUntil(input.calendar, now)
  if (freeze && thaw)
    refusals.push({
      code: 'FROZEN',
      message: `PRD is frozen (${freeze.name}: ${freeze.reason}) until ${formatLocal(ZONE, thaw.getTime())}`,
      clearsAt: thaw.toISOString(),
    })

  refusals.push(...rejectionRefusal(ledger, digest))

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
    rollbackTo: rollbackTarget(ledger, 'prd', digest),
  }
}

/**
 * A rollback requested by a release manager: back to a digest PRD already ran. Soak and freeze do not apply
 * (a rollback is how an incident ends); a rejected or unverifiable image is still refused.
 */
export function evaluateRollback(input: Omit<PromotionInput, 'evidence' | 'calendar' | 'policy'>): Verdict {
  const { digest, ledger, now } = input
  assertDigest(digest)
  const refusals: Refusal[] = []
  const ran = everDeployed(ledger, 'prd', digest)
  if (!ran)
    refusals.push({
      code: 'NEVER_IN_PRD',
      message: `${digest} never ran in PRD: promote it instead of rolling back`,
    })
  refusals.push(...verificationRefusals(input.verification), ...rejectionRefusal(ledger, digest))
  return {
    decision: 'rollback',
    digest,
    evaluatedAt: now.toISOString(),
    promotable: refusals.length === 0,
    refusals,
    candidate: ran && { digest, image: `${input.repository}@${digest}`, commit: ran.commit },
    current: currentDeployment(ledger, 'prd'),
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
