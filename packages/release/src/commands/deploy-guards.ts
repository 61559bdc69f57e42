/**
 * The production job's guards before `pulumi up`:
 * - `approvals`: this attempt was approved by someone other than who started it (approvals.ts);
 * - `plan-seal` (gate) / `plan-check` (deploy): the saved update plan is the one applied (plan.ts).
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { attemptApproval, type Review } from '../approvals.ts'
import { PlanSeal, planProblems, stackVersionOf } from '../plan.ts'
import { ReleaseError, validate } from '../schemas.ts'
import { type Context, readJson, required } from './context.ts'

const attempt = (text: string | undefined, what: string): number => {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    throw new ReleaseError('INVALID_INPUT', `${what} is not an attempt number: ${text}`)
  return value
}

export function approvals(ctx: Context): number {
  const reviews = readJson(required(ctx.values, 'approvals-file'), 'the review log') as Review[]
  if (!Array.isArray(reviews)) throw new ReleaseError('INVALID_RECORD', 'the review log is not a JSON list')
  const result = attemptApproval({
    reviews,
    environment: ctx.values.env === 'acc' ? 'acc' : 'production',
    runAttempt: attempt(ctx.io.env.GITHUB_RUN_ATTEMPT, '$GITHUB_RUN_ATTEMPT'),
    gateAttempt: attempt(ctx.values['run-attempt'], '--run-attempt (the gate job attempt)'),
    actors: [ctx.io.env.GITHUB_ACTOR ?? '', ctx.io.env.GITHUB_TRIGGERING_ACTOR ?? ''],
  })
  if (!result.ok) {
    ctx.io.stderr(`::error::not approved: ${result.reason}\n`)
    return 1
  }
  ctx.io.stderr(`approved for this attempt by ${result.approvers.join(', ')}\n`)
  ctx.output({ list: result.approvers.join(',') })
  return 0
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

export function planSeal(ctx: Context): number {
  const planFile = required(ctx.values, 'plan-file')
  const seal = validate(
    PlanSeal,
    {
      stack: required(ctx.values, 'env'),
      planSha256: sha256(planFile),
      createdAt: ctx.now().toISOString(),
      stackVersion: stackVersionOf(readJson(required(ctx.values, 'stack-state'), 'the stack history')),
      image: required(ctx.values, 'digest'),
      commit: required(ctx.values, 'commit'),
    },
    'the plan seal',
  )
  writeFileSync(required(ctx.values, 'out'), `${JSON.stringify(seal, null, 2)}\n`)
  ctx.output({ 'plan-sha256': seal.planSha256 })
  return 0
}

export function planCheck(ctx: Context): number {
  const planFile = required(ctx.values, 'plan-file')
  const seal = validate(
    PlanSeal,
    readJson(required(ctx.values, 'evidence'), 'the plan seal'),
    'the plan seal',
  )
  const problems = planProblems({
    seal,
    planSha256: sha256(planFile),
    stack: required(ctx.values, 'env'),
    stackVersion: stackVersionOf(readJson(required(ctx.values, 'stack-state'), 'the stack history')),
    image: required(ctx.values, 'digest'),
    commit: required(ctx.values, 'commit'),
    now: ctx.now(),
    maxAgeMinutes: ctx.policy().maxPlanAgeMinutes,
  })
  for (const problem of problems) ctx.io.stderr(`::error::saved plan refused: ${problem}\n`)
  return problems.length === 0 ? 0 : 1
}
