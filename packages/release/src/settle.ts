/**
 * After a deploy job: from the outcomes of its steps, decide what happened, what the ledger records and how
 * the job ends. The workflow passes `toJSON(steps)`; the step ids are the contract (see workflows.test.ts).
 */
import type { Deployed } from './ledger.ts'
import type { Environment, LedgerEntry } from './schemas.ts'

/** The step ids, in order, that a deploy job must pass; the workflows use exactly these ids. */
export const ACC_GATES = [
  'up',
  'ready',
  'conformance_prod',
  'conformance_certification',
  'load',
  'verification',
  'attest_verification',
] as const
export const PRD_GATES = ['check', 'approvals', 'up', 'ready', 'conformance'] as const

export interface StepResult {
  outcome: string
}

export interface SettleInput {
  environment: Environment
  action: 'deploy' | 'promote' | 'rollback'
  digest: string
  /** Unknown only when the check refused a digest without evidence. */
  commit?: string
  /** Step ids, in order, that must all succeed for the deployment to count. */
  gates: readonly string[]
  steps: Record<string, StepResult | undefined>
  /** Where the rollback step went, if the job had one to go to. */
  rollbackTo?: Deployed
  /** Refusals, when the first gate is the promotability check and it refused. */
  refusals?: string[]
  evidence?: string
  actor: string
  approvedBy: string[]
  runUrl: string
  at: string
}

export interface Settlement {
  ok: boolean
  /** What happened, for the log and the job summary. */
  message: string
  entries: LedgerEntry[]
}

const outcomeOf = (input: SettleInput, id: string): string => input.steps[id]?.outcome ?? 'skipped'

export function settle(input: SettleInput): Settlement {
  const env = input.environment.toUpperCase()
  const entry = (fields: Partial<LedgerEntry> & Pick<LedgerEntry, 'action' | 'outcome'>): LedgerEntry => ({
    schema: 'ebox.ledger/v1',
    at: input.at,
    environment: input.environment,
    digest: input.digest,
    ...(input.commit === undefined ? {} : { commit: input.commit }),
    actor: input.actor,
    approvedBy: input.approvedBy,
    runUrl: input.runUrl,
    reasons: [],
    ...fields,
  })

  const failed = input.gates.find((id) => outcomeOf(input, id) !== 'success')
  if (failed === undefined) {
    const evidence = input.evidence === undefined ? {} : { evidence: input.evidence }
    return {
      ok: true,
      message: `${env} runs ${input.digest} (${input.action} succeeded)`,
      entries: [entry({ action: input.action, outcome: 'succeeded', ...evidence })],
    }
  }

  const reason = `step "${failed}" ended ${outcomeOf(input, failed)}`
  if (failed === 'check' && outcomeOf(input, failed) === 'failure') {
    const reasons = input.refusals?.length ? input.refusals : [reason]
    return {
      ok: false,
      message: `${env} refused ${input.digest}: ${reasons.join('; ')}`,
      entries: [entry({ action: input.action, outcome: 'refused', reasons })],
    }
  }

  const failure = entry({ action: input.action, outcome: 'failed', reasons: [reason] })
  if (outcomeOf(input, 'up') === 'skipped')
    return {
      ok: false,
      message: `${env} unchanged: ${reason} before the deployment started`,
      entries: [failure],
    }
  if (input.action === 'rollback')
    return {
      ok: false,
      message: `the rollback of ${env} to ${input.digest} FAILED (${reason}): check ${env} by hand now`,
      entries: [failure],
    }

  const target = input.rollbackTo
  if (!target)
    return {
      ok: false,
      message: `${env} failed on ${input.digest} (${reason}) and has no earlier digest to roll back to: ${env} runs a failed release`,
      entries: [failure],
    }
  const rolledBack = outcomeOf(input, 'rollback') === 'success'
  const rollback = entry({
    action: 'rollback',
    outcome: rolledBack ? 'succeeded' : 'failed',
    digest: target.digest,
    commit: target.commit,
    replaced: input.digest,
    reasons: [`automatic, after ${reason}`],
  })
  return {
    ok: false,
    message: rolledBack
      ? `${env} failed on ${input.digest} (${reason}) and was rolled back to ${target.digest}`
      : `${env} failed on ${input.digest} (${reason}) and the ROLLBACK to ${target.digest} FAILED: check ${env} by hand now`,
    entries: [failure, rollback],
  }
}
