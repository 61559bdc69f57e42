/** `settle`: after a deploy job, record what happened (and the ACC evidence on success). */
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildEvidence, evidenceDir, evidencePath, readChangesets } from '../evidence.ts'
import { currentDeployment } from '../ledger.ts'
import type { Verdict } from '../promotion.ts'
import {
  CONFORMANCE_PROFILES,
  type ConformanceResult,
  LoadCheckReport,
  ReleaseError,
  validate,
} from '../schemas.ts'
import { ACC_GATES, PRD_GATES, type StepResult, settle } from '../settle.ts'
import { type Context, environment, readJson, required } from './context.ts'

function conformanceResults(conformanceDir: string, profiles: readonly string[]): ConformanceResult[] {
  return CONFORMANCE_PROFILES.filter((profile) => profiles.includes(profile)).map((profile) => {
    const path = join(conformanceDir, profile, 'report.json')
    const text = readFileSync(path)
    return {
      profile,
      // Only passing runs reach this point: the workflow gates on the suite's exit code.
      passed: true,
      report: `conformance-${profile}.json`,
      reportSha256: createHash('sha256').update(text).digest('hex'),
    }
  })
}

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
  const recordsEvidence = isAcc && settlement.ok
  if (recordsEvidence) {
    if (!commit) throw new ReleaseError('INVALID_INPUT', '--commit is required')
    const policy = ctx.policy()
    const conformanceDir = required(ctx.values, 'conformance-dir')
    const loadReportPath = required(ctx.values, 'load-report')
    const loadReport = validate(
      LoadCheckReport,
      readJson(loadReportPath, 'the load report'),
      'the load report',
    )
    const dir = evidenceDir(digest)
    const evidence = buildEvidence({
      digest,
      image: `${ctx.repository()}@${digest}`,
      commit,
      verifiedAt: at,
      runUrl: ctx.runUrl,
      changesets: readChangesets(ctx.values['changeset-dir'] ?? '.changeset'),
      conformance: conformanceResults(conformanceDir, policy.requiredProfiles).map((result) => ({
        ...result,
        report: `${dir}/${result.report}`,
      })),
      loadCheck: loadReport,
    })
    write = () => {
      const target = join(ctx.ledgerDir, dir)
      mkdirSync(target, { recursive: true })
      for (const profile of policy.requiredProfiles)
        copyFileSync(
          join(conformanceDir, profile, 'report.json'),
          join(target, `conformance-${profile}.json`),
        )
      copyFileSync(loadReportPath, join(target, 'load.json'))
      writeFileSync(join(ctx.ledgerDir, evidencePath(digest)), `${JSON.stringify(evidence, null, 2)}\n`)
    }
  }
  ctx.record(`${env}: ${settlement.message}`, settlement.entries, write)
  ctx.io.stderr(`${settlement.ok ? '' : '::error::'}${settlement.message}\n`)
  ctx.output({ ok: String(settlement.ok), message: settlement.message })
  return settlement.ok ? 0 : 1
}
