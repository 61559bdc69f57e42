/** What every command shares: the flags, the files they read (ledger, policy, calendar) and how they answer. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { parseArgs } from 'node:util'
import { parse } from 'yaml'
import { type DigestAttestations, readAttestations, type Trust } from '../attestations.ts'
import { evidencePath } from '../evidence.ts'
import { parseFreezeCalendar } from '../freeze.ts'
import { commitAndPush } from '../git.ts'
import { formatLedgerLine, parseLedger } from '../ledger.ts'
import type { Decision } from '../promotion.ts'
import {
  ENVIRONMENTS,
  type Environment,
  type LedgerEntry,
  Policy,
  ReleaseError,
  validate,
} from '../schemas.ts'
import { parseBundles, parseTrustedRoots } from '../sigstore-bundle.ts'

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}

export const OPTIONS = {
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
  attestations: { type: 'string' },
  'trusted-root': { type: 'string' },
  'main-ref': { type: 'string' },
  event: { type: 'string' },
  counterpart: { type: 'string' },
  'deployed-at': { type: 'string' },
  'migrations-dir': { type: 'string' },
  evidence: { type: 'string' },
  bundle: { type: 'string' },
  'plan-file': { type: 'string' },
  'stack-state': { type: 'string' },
  'approvals-file': { type: 'string' },
  'run-attempt': { type: 'string' },
  branch: { type: 'string' },
  calendar: { type: 'string' },
  policy: { type: 'string' },
  repository: { type: 'string' },
} as const

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values']

export const LEDGER_FILE = 'ledger.jsonl'

export function required(values: Values, name: keyof Values): string {
  const value = values[name]
  if (typeof value !== 'string' || value === '')
    throw new ReleaseError('INVALID_INPUT', `--${name} is required`)
  return value
}

export function environment(values: Values): Environment {
  const env = required(values, 'env')
  if (!(ENVIRONMENTS as readonly string[]).includes(env))
    throw new ReleaseError('INVALID_INPUT', `--env must be acc or prd, not ${env}`)
  return env as Environment
}

export function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ReleaseError('INVALID_RECORD', `${what} (${path}) is not readable JSON`, { cause: error })
  }
}

export class Context {
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
  /** The Sigstore trusted root (`gh attestation trusted-root`) and this repository's identity. */
  trust(): Trust {
    const path = required(this.values, 'trusted-root')
    const { GITHUB_REPOSITORY: repository, GITHUB_SERVER_URL: serverUrl = 'https://github.com' } = this.io.env
    if (!repository) throw new ReleaseError('INVALID_INPUT', '$GITHUB_REPOSITORY is not set')
    return { authorities: parseTrustedRoots(readFileSync(path, 'utf8')), repository, serverUrl }
  }
  /**
   * The signed statements about a digest, as `gh attestation download` wrote them into --attestations DIR
   * (`sha256:<hex>.jsonl`), verified: only what holds is kept.
   */
  attested(digest: string, trust: Trust): DigestAttestations {
    const dir = this.values.attestations
    const names = [`${digest}.jsonl`, `${digest.replace(/^sha256:/, '')}.jsonl`]
    const path = dir && names.map((name) => join(dir, name)).find((candidate) => existsSync(candidate))
    return readAttestations(path ? parseBundles(readFileSync(path, 'utf8')) : [], digest, trust)
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

export function decisionOf(values: Values): Decision | 'reject' {
  const decision = values.decision ?? 'promote'
  if (decision !== 'promote' && decision !== 'rollback' && decision !== 'reject')
    throw new ReleaseError('INVALID_INPUT', `--decision must be promote, rollback or reject, not ${decision}`)
  return decision
}
