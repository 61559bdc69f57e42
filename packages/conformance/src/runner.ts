import { ALL_CHECKS } from './checks/index.ts'
import {
  CheckContext,
  type CheckDefinition,
  CheckFailure,
  CheckSkipped,
  type DataSetExpectations,
  DEFAULT_LIMITS,
  type Limits,
  type SharedState,
} from './framework.ts'
import { HttpFailure, RegistryClient } from './http.ts'
import { TokenError, TokenProvider, type TokenSource } from './tokens.ts'
import { type CheckResult, PHASES, type Profile, type Report, type Role } from './types.ts'
import { VERSION } from './version.ts'

export interface RunOptions {
  /** Root of the Message Registry (every path of the brief is relative to it). */
  baseUrl: string
  profile: Profile
  tokens: Partial<Record<Role, TokenSource>>
  /** The known data set (certification profile). */
  expectations?: DataSetExpectations
  /** Only checks whose id equals or starts with one of these (e.g. `list.` or `auth.missing-token`). */
  only?: readonly string[]
  limits?: Partial<Limits>
  /** Browser origins of the portal the CORS check tries (default: the portal in PRD and ACC). */
  portalOrigins?: readonly string[]
  /**
   * contentHref values must be https URLs. Default: when `baseUrl` is https, as every registry in ACC and PRD is
   * (a local http registry may answer http hrefs).
   */
  requireHttpsHrefs?: boolean
  timeoutMs?: number
  /** Called after each check (progress on the terminal). */
  onResult?: (result: CheckResult) => void
  /** Environment of token commands (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Checks to run instead of ALL_CHECKS (tests). */
  checks?: readonly CheckDefinition[]
  fetch?: typeof fetch
}

/** Whether a check is named by an `only` entry: its id, or its group (`list` or `list.`). */
export function matchesSelector(id: string, selector: string): boolean {
  const group = selector.endsWith('.') ? selector : `${selector}.`
  return id === selector || id.startsWith(group)
}

export function selectChecks(
  profile: Profile,
  only?: readonly string[],
  checks: readonly CheckDefinition[] = ALL_CHECKS,
): CheckDefinition[] {
  const selected = checks.filter(
    (check) =>
      check.profiles.includes(profile) &&
      (!only || only.length === 0 || only.some((selector) => matchesSelector(check.id, selector))),
  )
  return PHASES.flatMap((phase) => selected.filter((check) => check.phase === phase))
}

/** Runs the selected checks one after another against a running registry and returns the report. */
export async function runConformance(options: RunOptions): Promise<Report> {
  const started = Date.now()
  const tokens = new TokenProvider(options.tokens, options.env)
  const client = new RegistryClient({
    baseUrl: options.baseUrl,
    tokens,
    readOnly: options.profile === 'prod',
    timeoutMs: options.timeoutMs,
    fetch: options.fetch,
  })
  const shared: SharedState = { cache: new Map(), notes: new Map(), generation: 0 }
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const results: CheckResult[] = []
  for (const check of selectChecks(options.profile, options.only, options.checks)) {
    const ctx = new CheckContext({
      client,
      tokens,
      profile: options.profile,
      expectations: options.expectations,
      limits,
      shared,
      portalOrigins: options.portalOrigins,
      requireHttpsHrefs: options.requireHttpsHrefs ?? new URL(options.baseUrl).protocol === 'https:',
    })
    const checkStarted = performance.now()
    const result: CheckResult = {
      id: check.id,
      title: check.title,
      rule: check.rule,
      mandatory: check.mandatory,
      status: 'passed',
      durationMs: 0,
      evidence: [],
    }
    try {
      await check.run(ctx)
    } catch (error) {
      if (error instanceof CheckSkipped) {
        result.status = 'skipped'
        result.message = error.message
      } else if (error instanceof CheckFailure) {
        result.status = 'failed'
        result.message = error.message
        result.evidence = error.evidence
      } else if (error instanceof TokenError || error instanceof HttpFailure) {
        result.status = 'failed'
        result.message = error.message
        result.evidence = ctx.evidence
      } else {
        result.status = 'failed'
        result.message = `the check could not finish: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`
        result.evidence = ctx.evidence
      }
    }
    result.durationMs = Math.round(performance.now() - checkStarted)
    results.push(result)
    options.onResult?.(result)
  }
  let registryVersion: unknown
  try {
    const version = await client.get('anonymous', '/certification/version')
    if (version.status === 200) registryVersion = version.json
  } catch {
    // Reported by certification.version.
  }
  const count = (status: CheckResult['status']) => results.filter((result) => result.status === status).length
  const mandatoryFailed = results.filter((result) => result.status === 'failed' && result.mandatory).length
  return {
    tool: { name: '@ebox/conformance', version: VERSION },
    baseUrl: client.baseUrl,
    profile: options.profile,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    ...(registryVersion !== undefined ? { registryVersion } : {}),
    summary: {
      passed: count('passed'),
      failed: count('failed'),
      skipped: count('skipped'),
      mandatoryFailed,
      ok: mandatoryFailed === 0 && results.length > 0,
    },
    checks: results,
  }
}
