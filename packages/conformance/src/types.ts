/**
 * The vocabulary of the suite: profiles, roles, checks and their results.
 */

/**
 * `prod`: read-only, safe against production (GET requests only, never marks a message read).
 * `certification`: resets the data set through `/certification/resetDataSet` and runs every check.
 */
export type Profile = 'prod' | 'certification'
export const PROFILES: readonly Profile[] = ['prod', 'certification']

/**
 * Who a request is made as; each role has its own token.
 * - `consultation`: a Document Consumer of the e-Box under test (messages, statistics, reference data)
 * - `referenceData`: reference data only
 * - `publication`: a Document Sender (optional; its token must not open the consultation operations)
 * - `certification`: the federation's certifier (`/certification/resetDataSet`)
 * - `otherEbox`: a Document Consumer of a second e-Box (isolation checks)
 * - `insufficientScope`: a valid token without any consultation scope (the 403 check)
 */
export type Role =
  | 'consultation'
  | 'referenceData'
  | 'publication'
  | 'certification'
  | 'otherEbox'
  | 'insufficientScope'

export const ROLES: readonly Role[] = [
  'consultation',
  'referenceData',
  'publication',
  'certification',
  'otherEbox',
  'insufficientScope',
]

/** Kebab-case names of the roles, as used by the CLI options and the token commands' environment. */
export const ROLE_NAMES: Record<Role, string> = {
  consultation: 'consultation',
  referenceData: 'referencedata',
  publication: 'publication',
  certification: 'certification',
  otherEbox: 'other-ebox',
  insufficientScope: 'insufficient-scope',
}

/** Order in which checks run: the set-up (certification reset), reads, writes, then the final check. */
export type Phase = 'setup' | 'read' | 'write' | 'final'
export const PHASES: readonly Phase[] = ['setup', 'read', 'write', 'final']

export type CheckStatus = 'passed' | 'failed' | 'skipped'

/** One request and the part of its response that shows the problem. Never contains a token. */
export interface Evidence {
  request: { method: string; url: string; as: Role | 'anonymous' | 'invalid-token'; correlationId: string }
  response?: {
    status: number
    headers: Record<string, string>
    /** JSON pointer into the body of the offending part (absent = the whole body, or not JSON). */
    pointer?: string
    /** The offending part of the body (or the start of the body), truncated. */
    excerpt?: unknown
  }
  /** What was expected, in words. */
  note?: string
}

export interface CheckResult {
  id: string
  title: string
  rule: string
  mandatory: boolean
  status: CheckStatus
  durationMs: number
  /** Why it failed or was skipped. */
  message?: string
  evidence: Evidence[]
}

export interface ReportSummary {
  passed: number
  failed: number
  skipped: number
  /** Failed checks that are mandatory: any ⇒ exit code 1. */
  mandatoryFailed: number
  ok: boolean
}

export interface Report {
  tool: { name: string; version: string }
  baseUrl: string
  profile: Profile
  startedAt: string
  durationMs: number
  /** What the registry says about itself at /certification/version, when it answered. */
  registryVersion?: unknown
  summary: ReportSummary
  checks: CheckResult[]
}
