/**
 * The update plan the approver saw is the one applied: the gate saves `pulumi preview --save-plan` and seals
 * it (hash, when, for which stack version); the deploy job applies it with `pulumi up --plan` only if the seal
 * holds, the plan is younger than the policy's limit and the stack has not changed since.
 */
import { type Static, Type } from '@sinclair/typebox'
import { Instant } from './schemas.ts'

export const PlanSeal = Type.Object(
  {
    stack: Type.String({ minLength: 1 }),
    planSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    createdAt: Instant,
    /** The stack's last update version when the plan was made (`pulumi stack history --json`). */
    stackVersion: Type.Integer({ minimum: 0 }),
    image: Type.String({ minLength: 1 }),
    commit: Type.String({ pattern: '^[0-9a-f]{40}$' }),
  },
  { additionalProperties: false },
)
export type PlanSeal = Static<typeof PlanSeal>

/** The newest update version in `pulumi stack history --json` output (0 for a stack never updated). */
export function stackVersionOf(history: unknown): number {
  if (!Array.isArray(history)) throw new Error('stack history is not a JSON list')
  return history.reduce<number>((newest, update) => {
    const version = (update as { version?: unknown }).version
    return typeof version === 'number' && version > newest ? version : newest
  }, 0)
}

export interface PlanCheck {
  seal: PlanSeal
  planSha256: string
  stack: string
  stackVersion: number
  image: string
  commit: string
  now: Date
  maxAgeMinutes: number
}

/** Why this plan must not be applied; empty when it may. */
export function planProblems(check: PlanCheck): string[] {
  const { seal } = check
  const problems: string[] = []
  if (seal.planSha256 !== check.planSha256) problems.push('the plan file is not the one the gate saved')
  if (seal.stack !== check.stack) problems.push(`the plan is for stack ${seal.stack}, not ${check.stack}`)
  if (seal.image !== check.image || seal.commit !== check.commit)
    problems.push(`the plan is for ${seal.image} at ${seal.commit}, not ${check.image} at ${check.commit}`)
  if (seal.stackVersion !== check.stackVersion)
    problems.push(
      `the stack changed since the plan was made (version ${seal.stackVersion}, now ${check.stackVersion}): preview again`,
    )
  const ageMinutes = (check.now.getTime() - Date.parse(seal.createdAt)) / 60_000
  if (ageMinutes > check.maxAgeMinutes)
    problems.push(
      `the plan is ${Math.floor(ageMinutes)} minutes old, more than the policy's ${check.maxAgeMinutes}`,
    )
  if (ageMinutes < -5) problems.push('the plan claims to come from the future')
  return problems
}
