/** The parsed shape of a workflow, and the small helpers every workflow invariant shares. */

export interface Problem {
  file: string
  line: number
  message: string
}

export interface Step {
  id?: string
  name?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, unknown>
  'continue-on-error'?: unknown
}

export type Concurrency = { group?: string; 'cancel-in-progress'?: unknown } | string

export interface Job {
  if?: string
  environment?: string | { name?: string }
  concurrency?: Concurrency
  permissions?: unknown
  steps?: Step[]
}

export interface Workflow {
  on?: unknown
  permissions?: unknown
  concurrency?: Concurrency
  jobs?: Record<string, Job>
}

export const PULUMI_ACTION = './.github/actions/pulumi'

/** A GitHub expression as workflows write it: `${{ path }}`. */
export const expression = (path: string): string => '$' + `{{ ${path} }}`

export const problem = (file: string, message: string, line = 1): Problem => ({ file, line, message })

export const environmentOf = (job: Job): string | undefined =>
  typeof job.environment === 'string' ? job.environment : job.environment?.name

export const pulumiSteps = (job: Job, command: string): Step[] =>
  (job.steps ?? []).filter((step) => step.uses === PULUMI_ACTION && step.with?.command === command)

export const builds = (step: Step): boolean =>
  (step.uses ?? '').startsWith('docker/build-push-action@') ||
  /\b(docker|buildx|podman)\s+(build|push)\b|\bbuildx\s+build\b/.test(step.run ?? '')

export const allSteps = (workflow: Workflow): Step[] =>
  Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? [])

export const releaseCommand = (step: Step, command: string): boolean =>
  new RegExp(`ebox-release(\\.mjs)?\\s+${command}\\b`).test(step.run ?? '')
