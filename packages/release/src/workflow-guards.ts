/**
 * The invariants that keep PRD out of reach of a repository writer: pull requests get no PRD credential, the
 * production job proves its approval and applies the approved plan, policy comes from main, drift refreshes.
 */
import {
  environmentOf,
  type Problem,
  PULUMI_ACTION,
  problem,
  pulumiSteps,
  releaseCommand,
  type Step,
  type Workflow,
} from './workflow-model.ts'

/** A step that runs when the job failed, was cancelled or timed out (a timeout is a cancellation). */
export const onFailureOrCancellation = (step: Step): boolean =>
  /!\s*success\(\)/.test(step.if ?? '') ||
  (/failure\(\)/.test(step.if ?? '') && /cancelled\(\)/.test(step.if ?? ''))

/** The job's first step fails any run whose ref is not main (the environment rule alone is not enough). */
const refusesOtherRefs = (steps: Step[]): boolean => {
  const first = steps[0]
  return (
    first !== undefined &&
    /github\.ref\s*!=\s*'refs\/heads\/main'/.test(first.if ?? '') &&
    /exit 1/.test(first.run ?? '')
  )
}

/**
 * The production job: refuses other refs, reads policy and calendar from main, proves the attempt was
 * approved by someone else, and applies the plan saved at the gate.
 */
export function checkProductionGuards(file: string, name: string, steps: Step[]): Problem[] {
  const found: Problem[] = []
  const at = (predicate: (step: Step) => boolean): number => steps.findIndex(predicate)
  const up = at((step) => step.id === 'up')
  if (!refusesOtherRefs(steps))
    found.push(problem(file, `job ${name} must first refuse runs from any ref but main`))
  const fromMain = at(
    (step) =>
      /git show origin\/main:release\/policy\.yaml/.test(step.run ?? '') &&
      /git show origin\/main:release\/freeze-calendar\.yaml/.test(step.run ?? ''),
  )
  const check = steps[at((step) => step.id === 'check')]
  if (
    fromMain < 0 ||
    !/--policy "\$RUNNER_TEMP\/policy\.yaml"/.test(check?.run ?? '') ||
    !/--calendar "\$RUNNER_TEMP\/freeze-calendar\.yaml"/.test(check?.run ?? '')
  )
    found.push(problem(file, `job ${name} must check with the policy and freeze calendar read from main`))
  const approvals = at((step) => step.id === 'approvals')
  const approvalStep = steps[approvals]
  if (
    !approvalStep ||
    !releaseCommand(approvalStep, 'approvals') ||
    !/--run-attempt/.test(approvalStep.run ?? '') ||
    approvalStep.if !== undefined ||
    approvalStep['continue-on-error'] !== undefined ||
    (up >= 0 && approvals > up)
  )
    found.push(
      problem(file, `job ${name} must prove the attempt's approval (ebox-release approvals) before up`),
    )
  const upStep = steps[up]
  if (!upStep?.with?.plan || !upStep.with['plan-seal'])
    found.push(problem(file, `job ${name} must apply the plan saved at the gate (plan and plan-seal on up)`))
  return found
}

/** Pull requests run code anyone with write access proposes: no PRD credential, no PRD stack. */
export function checkPullRequestJobs(file: string, workflow: Workflow): Problem[] {
  const triggers = workflow.on
  const events =
    typeof triggers === 'string'
      ? [triggers]
      : Array.isArray(triggers)
        ? triggers
        : Object.keys(triggers ?? {})
  if (!events.some((event) => String(event).startsWith('pull_request'))) return []
  const found: Problem[] = []
  for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
    const environment = environmentOf(job)
    if (environment !== undefined && environment !== 'acc-preview')
      found.push(
        problem(
          file,
          `pull_request job ${name} uses environment ${environment}; only acc-preview is allowed`,
        ),
      )
    const secrets = [...JSON.stringify(job).matchAll(/secrets\.([A-Za-z0-9_]+)/g)].map((match) => match[1])
    for (const secret of new Set(secrets))
      if (secret !== 'GITHUB_TOKEN' && !(secret === 'KUBECONFIG' && environment === 'acc-preview'))
        found.push(problem(file, `pull_request job ${name} reads secret ${secret}, which may reach PRD`))
    for (const step of job.steps ?? [])
      if (
        step.uses === PULUMI_ACTION &&
        (step.with?.stack !== 'acc' || !String(step.with?.['pulumi-team']).endsWith('acc-preview'))
      )
        found.push(
          problem(
            file,
            `pull_request job ${name} runs pulumi on ${String(step.with?.stack)}; only an ACC preview is allowed`,
          ),
        )
  }
  return found
}

/** promote-prd.yml: one run at a time, so two runs' plans and approvals never interleave. */
export function checkWorkflowConcurrency(file: string, workflow: Workflow): Problem[] {
  const concurrency = workflow.concurrency
  if (typeof concurrency === 'object' && concurrency.group && concurrency['cancel-in-progress'] === false)
    return []
  return [problem(file, 'the workflow needs its own concurrency group with cancel-in-progress: false')]
}

/** drift.yml: every preview refreshes from the cluster first and fails on any change. */
export function checkDrift(file: string, workflow: Workflow): Problem[] {
  const previews = Object.values(workflow.jobs ?? {}).flatMap((job) => pulumiSteps(job, 'preview'))
  if (previews.length === 0) return [problem(file, 'drift runs no pulumi preview')]
  return previews.some((step) => step.with?.refresh !== 'true' || step.with?.['expect-no-changes'] !== 'true')
    ? [problem(file, 'drift must preview with refresh: "true" and expect-no-changes: "true"')]
    : []
}

/** promote-prd.yml's gate: refuses other refs and saves the sealed plan of the prd preview. */
export function checkGate(file: string, workflow: Workflow): Problem[] {
  const found: Problem[] = []
  for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
    const previews = pulumiSteps(job, 'preview').filter((step) => step.with?.stack === 'prd')
    if (previews.length === 0) continue
    if (!refusesOtherRefs(job.steps ?? []))
      found.push(problem(file, `job ${name} must first refuse runs from any ref but main`))
    if (environmentOf(job) !== 'production-preview')
      found.push(problem(file, `job ${name} previews prd outside the production-preview environment`))
    if (previews.some((step) => !step.with?.plan || !step.with['plan-seal']))
      found.push(problem(file, `job ${name} must save and seal the plan of its prd preview`))
  }
  return found
}
