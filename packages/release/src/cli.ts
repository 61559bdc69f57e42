/**
 * `ebox-release <command>`: what the workflows call. Each command reads files and flags, asks the tested
 * modules for a decision, and prints `key=value` lines for $GITHUB_OUTPUT on stdout; messages go to stderr,
 * as GitHub annotations when they matter.
 */

import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { BOARD_USAGE, boardCommand } from './board/command.ts'
import { buildEvidence, evidenceDir, evidencePath, readChangesets } from './evidence.ts'
import { activeFreeze, frozenUntil, parseFreezeCalendar } from './freeze.ts'
import { changesetsAddedBetween, commitAndPush, commitsBetween, isAncestor } from './git.ts'
import { currentDeployment, formatLedgerLine, parseLedger } from './ledger.ts'
import { loadCheck, waitReady } from './load.ts'
import {
  type Decision,
  evaluatePromotion,
  evaluateRollback,
  resolveDigest,
  type Verdict,
} from './promotion.ts'
import {
  type AccEvidence,
  CONFORMANCE_PROFILES,
  type ConformanceResult,
  ENVIRONMENTS,
  type Environment,
  type LedgerEntry,
  LoadCheckReport,
  Policy,
  ReleaseError,
  validate,
} from './schemas.ts'
import { ACC_GATES, PRD_GATES, type StepResult, settle } from './settle.ts'
import { renderSummary } from './summary.ts'
import { lintWorkflows } from './workflow-lint.ts'
import { formatLocal } from './zoned.ts'

export const USAGE = `Usage: ebox-release <command> [options]
  current   --env acc|prd                       what the stack runs (digest, commit, image)
  resolve   --decision D [--digest D] [--commit SHA]  the digest a run is about
  check     --decision promote|rollback --digest D --signature OUTCOME --provenance OUTCOME
            [--allow-waiting] [--now ISO] [--out verdict.json]   refuse or allow; exit 1 on refusal
  summary   --verdict verdict.json [--repo-dir DIR] [--allow-waiting]   markdown for the approver
  settle    --env acc|prd --action deploy|promote|rollback --digest D [--commit SHA] --outcomes 'up=success …'
            [--verdict FILE] [--approved-by a,b] [--conformance-dir DIR --load-report FILE]
  reject    --digest D --reason TEXT            mark a digest as never to reach PRD
  wait-ready --url URL [--timeout-seconds 300]
  load-check --base-url URL [--out FILE]        the policy's short load check; exit 1 when over its limits
  freeze    [--at ISO]                          is PRD frozen at that instant (default now)
  lint-workflows [--root DIR]                   actionlint and the pipeline's invariants
${BOARD_USAGE}
Common: --ledger-dir DIR (.ledger), --branch NAME (promotion-ledger), --calendar FILE, --policy FILE,
        --repository REPO ($IMAGE_REPOSITORY)`

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}

const OPTIONS = {
  env: { type: 'string' },
  decision: { type: 'string' },
  action: { type: 'string' },
  digest: { type: 'string' },
  commit: { type: 'string' },
  signature: { type: 'string' },
  provenance: { type: 'string' },
  'allow-waiting': { type: 'boolean' },
  now: { type: 'string' },
  at: { type: 'string' },
  out: { type: 'string' },
  verdict: { type: 'string' },
  'repo-dir': { type: 'string' },
  'approved-by': { type: 'string' },
  'conformance-dir': { type: 'string' },
  'load-report': { type: 'string' },
  'changeset-dir': { type: 'string' },
  reason: { type: 'string' },
  outcomes: { type: 'string' },
  url: { type: 'string' },
  'base-url': { type: 'string' },
  'timeout-seconds': { type: 'string' },
  root: { type: 'string' },
  'ledger-dir': { type: 'string' },
  branch: { type: 'string' },
  calendar: { type: 'string' },
  policy: { type: 'string' },
  repository: { type: 'string' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values']

export const LEDGER_FILE = 'ledger.jsonl'

function required(values: Values, name: keyof Values): string {
  const value = values[name]
  if (typeof value !== 'string' || value === '')
    throw new ReleaseError('INVALID_INPUT', `--${name} is required`)
  return value
}

function environment(values: Values): Environment {
  const env = required(values, 'env')
  if (!(ENVIRONMENTS as readonly string[]).includes(env))
    throw new ReleaseError('INVALID_INPUT', `--env must be acc or prd, not ${env}`)
  return env as Environment
}

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ReleaseError('INVALID_RECORD', `${what} (${path}) is not readable JSON`, { cause: error })
  }
}

class Context {
  constructor(
    readonly values: Values,
    readonly io: CliIo,
  ) {}
  get ledgerDir(): string {
    return this.values['ledger-dir'] ?? '.ledger'
  }
  get branch(): string {
    return this.values.branch ?? 'promotion-ledger'
  }
  ledger(): LedgerEntry[] {
    const path = join(this.ledgerDir, LEDGER_FILE)
    return existsSync(path) ? parseLedger(readFileSync(path, 'utf8')) : []
  }
  evidence(digest: string): unknown {
    const path = join(this.ledgerDir, evidencePath(digest))
    return existsSync(path) ? readJson(path, 'the ACC evidence') : undefined
  }
  policy(): Policy {
    return validate(
      Policy,
      parse(readFileSync(this.values.policy ?? 'release/policy.yaml', 'utf8')),
      'the policy',
    )
  }
  calendar() {
    return parseFreezeCalendar(readFileSync(this.values.calendar ?? 'release/freeze-calendar.yaml', 'utf8'))
  }
  repository(): string {
    const repository = this.values.repository ?? this.io.env.IMAGE_REPOSITORY
    if (!repository || !/^[a-z0-9][a-z0-9./_-]*$/.test(repository))
      throw new ReleaseError(
        'INVALID_INPUT',
        `the image repository (--repository or $IMAGE_REPOSITORY) is missing or not lowercase: "${repository ?? ''}"`,
      )
    return repository
  }
  now(): Date {
    const text = this.values.now ?? this.values.at
    const now = text ? new Date(text) : new Date()
    if (Number.isNaN(now.getTime())) throw new ReleaseError('INVALID_INPUT', `not an instant: ${text}`)
    return now
  }
  get actor(): string {
    return this.io.env.GITHUB_TRIGGERING_ACTOR || this.io.env.GITHUB_ACTOR || 'unknown'
  }
  get repositoryUrl(): string {
    const { GITHUB_SERVER_URL: server = 'https://github.com', GITHUB_REPOSITORY: repo = 'unknown/unknown' } =
      this.io.env
    return `${server}/${repo}`
  }
  get runUrl(): string {
    return `${this.repositoryUrl}/actions/runs/${this.io.env.GITHUB_RUN_ID ?? 'local'}`
  }
  output(values: Record<string, string | undefined>): void {
    for (const [key, value] of Object.entries(values)) this.io.stdout(`${key}=${value ?? ''}\n`)
  }
  /** Appends entries (and writes files) on the ledger branch, then pushes. */
  record(message: string, entries: LedgerEntry[], write: () => void = () => {}): void {
    const lines = entries.map(formatLedgerLine).join('')
    commitAndPush(this.ledgerDir, this.branch, message, () => {
      write()
      writeFileSync(join(this.ledgerDir, LEDGER_FILE), lines, { flag: 'a' })
    })
  }
}

function current(ctx: Context): number {
  const env = environment(ctx.values)
  const repository = ctx.repository()
  const deployed = currentDeployment(ctx.ledger(), env)
  if (!deployed) ctx.io.stderr(`the ledger records no deployment to ${env}\n`)
  ctx.output({
    digest: deployed?.digest,
    commit: deployed?.commit,
    image: deployed && `${repository}@${deployed.digest}`,
  })
  return 0
}

function decisionOf(values: Values): Decision | 'reject' {
  const decision = values.decision ?? 'promote'
  if (decision !== 'promote' && decision !== 'rollback' && decision !== 'reject')
    throw new ReleaseError('INVALID_INPUT', `--decision must be promote, rollback or reject, not ${decision}`)
  return decision
}

function resolve(ctx: Context): number {
  const { digest, commit } = ctx.values
  ctx.output({ digest: resolveDigest({ decision: decisionOf(ctx.values), digest, commit }, ctx.ledger()) })
  return 0
}

function check(ctx: Context): number {
  const decision = decisionOf(ctx.values)
  if (decision === 'reject') throw new ReleaseError('INVALID_INPUT', 'check takes promote or rollback')
  const digest = required(ctx.values, 'digest')
  const common = {
    digest,
    repository: ctx.repository(),
    ledger: ctx.ledger(),
    verification: {
      signature: required(ctx.values, 'signature'),
      provenance: required(ctx.values, 'provenance'),
    },
    now: ctx.now(),
    allowWaiting: ctx.values['allow-waiting'] === true,
  }
  const verdict =
    decision === 'rollback'
      ? evaluateRollback(common)
      : evaluatePromotion({
          ...common,
          evidence: ctx.evidence(digest),
          calendar: ctx.calendar(),
          policy: ctx.policy(),
        })
  writeFileSync(ctx.values.out ?? 'verdict.json', `${JSON.stringify(verdict, null, 2)}\n`)
  for (const refusal of verdict.refusals)
    ctx.io.stderr(`${verdict.promotable ? '::warning::' : '::error::'}${refusal.code}: ${refusal.message}\n`)
  ctx.output({
    promotable: String(verdict.promotable),
    digest,
    image: verdict.candidate?.image,
    commit: verdict.candidate?.commit,
    'rollback-image': verdict.rollbackTo && `${ctx.repository()}@${verdict.rollbackTo.digest}`,
    'rollback-commit': verdict.rollbackTo?.commit,
  })
  return verdict.promotable ? 0 : 1
}

function summary(ctx: Context): number {
  const verdict = readJson(required(ctx.values, 'verdict'), 'the verdict') as Verdict
  const evidence = ctx.evidence(verdict.digest) as AccEvidence | undefined
  const repoDir = ctx.values['repo-dir'] ?? '.'
  const from = verdict.current?.commit
  const to = verdict.candidate?.commit
  let changes = {}
  if (from && to) {
    try {
      changes = {
        commits: commitsBetween(repoDir, from, to),
        changesets: changesetsAddedBetween(repoDir, from, to),
        notAhead: !isAncestor(repoDir, from, to),
      }
    } catch (error) {
      ctx.io.stderr(`::warning::no changelog: ${error instanceof Error ? error.message : error}\n`)
    }
  }
  ctx.io.stdout(
    renderSummary({
      verdict,
      evidence: verdict.decision === 'promote' ? evidence : undefined,
      ...changes,
      repositoryUrl: ctx.repositoryUrl,
      allowWaiting: ctx.values['allow-waiting'] === true,
    }),
  )
  return 0
}

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

function settleCommand(ctx: Context): number {
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

function reject(ctx: Context): number {
  const digest = resolveDigest({ decision: 'reject', digest: required(ctx.values, 'digest') }, [])
  const reason = required(ctx.values, 'reason')
  const ledger = ctx.ledger()
  const evidence = ctx.evidence(digest) as AccEvidence | undefined
  const commit =
    evidence?.commit ?? ledger.findLast((entry) => entry.digest === digest && entry.commit)?.commit
  if (!commit)
    throw new ReleaseError('INVALID_INPUT', `${digest} is unknown to the ledger: nothing to reject`)
  const entry: LedgerEntry = {
    schema: 'ebox.ledger/v1',
    at: ctx.now().toISOString(),
    environment: 'prd',
    action: 'reject',
    outcome: 'succeeded',
    digest,
    commit,
    actor: ctx.actor,
    approvedBy: [],
    runUrl: ctx.runUrl,
    reasons: [reason],
  }
  ctx.record(`prd: ${digest} rejected by ${ctx.actor}`, [entry])
  ctx.io.stderr(`${digest} is rejected: it will never be promoted to PRD\n`)
  return 0
}

async function waitReadyCommand(ctx: Context): Promise<number> {
  const url = required(ctx.values, 'url')
  const timeoutSeconds = Number(ctx.values['timeout-seconds'] ?? 300)
  await waitReady(url, { timeoutMs: timeoutSeconds * 1000 })
  ctx.io.stderr(`${url} is ready\n`)
  return 0
}

async function loadCheckCommand(ctx: Context): Promise<number> {
  const report = await loadCheck(required(ctx.values, 'base-url'), ctx.policy().loadCheck)
  const out = ctx.values.out ?? 'load.json'
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  const line = `${report.requests} requests, ${report.errors} errors, p95 ${report.p95Ms} ms (limits: error rate ${report.maxErrorRate}, p95 ${report.maxP95Ms} ms)`
  ctx.io.stderr(report.passed ? `load check passed: ${line}\n` : `::error::load check failed: ${line}\n`)
  return report.passed ? 0 : 1
}

function freeze(ctx: Context): number {
  const calendar = ctx.calendar()
  const at = ctx.now()
  const window = activeFreeze(calendar, at)
  const until = frozenUntil(calendar, at)
  const when = formatLocal(calendar.timeZone, at.getTime())
  ctx.io.stdout(
    window && until
      ? `frozen at ${when}: ${window.name} (${window.reason}) until ${formatLocal(calendar.timeZone, until.getTime())}\n`
      : `not frozen at ${when}\n`,
  )
  ctx.output({ frozen: String(window !== undefined) })
  return 0
}

async function lintWorkflowsCommand(ctx: Context): Promise<number> {
  const problems = await lintWorkflows(ctx.values.root ?? '.')
  for (const problem of problems) ctx.io.stderr(`${problem.file}:${problem.line}: ${problem.message}\n`)
  ctx.io.stderr(
    problems.length === 0 ? 'workflows: no problems\n' : `workflows: ${problems.length} problems\n`,
  )
  return problems.length === 0 ? 0 : 1
}

const COMMANDS: Record<string, (ctx: Context) => number | Promise<number>> = {
  current,
  resolve,
  check,
  summary,
  settle: settleCommand,
  reject,
  'wait-ready': waitReadyCommand,
  'load-check': loadCheckCommand,
  freeze,
  'lint-workflows': lintWorkflowsCommand,
}

export const COMMAND_NAMES = [...Object.keys(COMMANDS), 'board']

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv
  if (name === 'board') return boardCommand(args, io)
  const command = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) {
    io.stderr(`${USAGE}\n`)
    return name === undefined || name === '--help' ? 0 : 2
  }
  try {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false })
    return await command(new Context(values, io))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`::error::ebox-release ${name}: ${message}\n`)
    return error instanceof ReleaseError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? 2
      : 1
  }
}
