/** `settle`: after a deploy job, record what happened (and the ACC evidence on success). */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evidenceDir, evidencePath } from '../evidence.ts'
import { currentDeployment } from '../ledger.ts'
import type { Verdict } from '../promotion.ts'
import { AccEvidence, ReleaseError, validate } from '../schemas.ts'
import { ACC_GATES, PRD_GATES, type StepResult, settle } from '../settle.ts'
import { type Context, environment, readJson, required } from './context.ts'

/** `up=success ready=failure …`: the outcomes of the job's steps, by id. */
export function parseOutcomes(text: string): Record<string, StepResult> {
  const steps: Record<string, StepResult> = {}
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const [id, outcome] = pair.split('=')
    if (!id || !outcome) throw new ReleaseError('INVALID_INPUT', `--outcomes: "${pair}" is not id=outcome`)
    steps[id] = { outcome }
  }
  return steps
}

export function settleCommand(ctx: Context): number {
  const env = environment(ctx.values)
  const action = required(ctx.values, 'action')
  if (action !== 'deploy' && action !== 'promote' && action !== 'rollback')
    throw new ReleaseError('INVALID_INPUT', `--action must be deploy, promote or rollback, not ${action}`)
  const digest = required(ctx.values, 'digest')
  const commit = ctx.values.commit || undefined
  const steps = parseOutcomes(ctx.values.outcomes ?? '')
  const verdict =
    ctx.values.verdict && existsSync(ctx.values.verdict)
      ? (readJson(ctx.values.verdict, 'the verdict') as Verdict)
      : undefined
  const isAcc = env === 'acc'
  const at = ctx.now().toISOString()
  const rollbackTo = isAcc ? currentDeployment(ctx.ledger(), 'acc') : verdict?.rollbackTo
  const settlement = settle({
    environment: env,
    action,
    digest,
    commit,
    gates: isAcc ? ACC_GATES : PRD_GATES,
    steps,
    rollbackTo,
    refusals: verdict?.refusals.map((refusal) => `${refusal.code}: ${refusal.message}`),
    evidence: isAcc
      ? evidencePath(digest)
      : verdict?.decision === 'promote'
        ? evidencePath(digest)
        : undefined,
    actor: ctx.actor,
    approvedBy: (ctx.values['approved-by'] ?? '').split(',').filter(Boolean),
    runUrl: ctx.runUrl,
    at,
  })

  let write = (): void => {}
  if (isAcc && settlement.ok) {
    // The predicate deploy-acc attested (see acc-attest.ts), kept readable beside its reports and signed bundle.
    const evidence = validate(
      AccEvidence,
      readJson(required(ctx.values, 'evidence'), 'the evidence'),
      'the evidence',
    )
    if (evidence.digest !== digest || evidence.commit !== commit)
      throw new ReleaseError(
        'INVALID_INPUT',
        `the evidence is about ${evidence.digest} at ${evidence.commit}`,
      )
    const conformanceDir = required(ctx.values, 'conformance-dir')
    const loadReportPath = required(ctx.values, 'load-report')
    const bundle = ctx.values.bundle
    const dir = evidenceDir(digest)
    write = () => {
      const target = join(ctx.ledgerDir, dir)
      mkdirSync(target, { recursive: true })
      for (const result of evidence.conformance)
        copyFileSync(join(conformanceDir, result.profile, 'report.json'), join(ctx.ledgerDir, result.report))
      copyFileSync(loadReportPath, join(target, 'load.json'))
      if (bundle) copyFileSync(bundle, join(target, 'acc-verification.sigstore.json'))
      writeFileSync(join(ctx.ledgerDir, evidencePath(digest)), `${JSON.stringify(evidence, null, 2)}\n`)
    }
  }
  ctx.record(`${env}: ${settlement.message}`, settlement.entries, write)
  ctx.io.stderr(`${settlement.ok ? '' : '::error::'}${settlement.message}\n`)
  ctx.output({ ok: String(settlement.ok), message: settlement.message })
  return settlement.ok ? 0 : 1
}
