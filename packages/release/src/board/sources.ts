/**
 * Where the board's input comes from: the ledger checkout and the repository's history (in a workflow), or the
 * sample shipped in `packages/release/sample` (anyone, offline, with a fixed clock so its freeze is in force).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Static, Type } from '@sinclair/typebox'
import { parse } from 'yaml'
import { evidencePath } from '../evidence.ts'
import { parseFreezeCalendar } from '../freeze.ts'
import { parseLedger } from '../ledger.ts'
import { CommitSha, Instant, Policy, ReleaseError, validate } from '../schemas.ts'
import { type CommitFacts, gitCommitFacts } from './commit-facts.ts'
import type { BoardInput } from './model.ts'

export const SAMPLE_DIR = fileURLToPath(new URL('../../sample/', import.meta.url))
const LEDGER_FILE = 'ledger.jsonl'

export type BoardSource = Omit<BoardInput, 'limit' | 'freezeHorizonDays'>

const SampleFile = Type.Object({
  description: Type.String(),
  now: Instant,
  repository: Type.String({ minLength: 1 }),
  repositoryUrl: Type.String({ pattern: '^https://' }),
  commits: Type.Record(
    CommitSha,
    Type.Object(
      {
        subject: Type.String(),
        version: Type.String(),
        migrations: Type.Array(Type.String()),
      },
      { additionalProperties: false },
    ),
  ),
})
type SampleFile = Static<typeof SampleFile>

function readJson(path: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new ReleaseError('INVALID_RECORD', `${what} (${path}) is not readable JSON`, { cause: error })
  }
}

/** Verification records on the ledger branch, by digest; undefined where a digest has none. */
function verificationsIn(ledgerDir: string): (digest: string) => unknown {
  return (digest) => {
    const path = join(ledgerDir, evidencePath(digest))
    return existsSync(path) ? readJson(path, 'the ACC evidence') : undefined
  }
}

function ledgerIn(ledgerDir: string) {
  const path = join(ledgerDir, LEDGER_FILE)
  return existsSync(path) ? parseLedger(readFileSync(path, 'utf8')) : []
}

function policyIn(path: string) {
  return validate(Policy, parse(readFileSync(path, 'utf8')), 'the policy')
}

export function sampleSource(dir: string = SAMPLE_DIR, now?: Date): BoardSource {
  const sample: SampleFile = validate(
    SampleFile,
    readJson(join(dir, 'sample.json'), 'the sample'),
    'the sample',
  )
  const ledgerDir = join(dir, 'ledger')
  return {
    ledger: ledgerIn(ledgerDir),
    verificationOf: verificationsIn(ledgerDir),
    calendar: parseFreezeCalendar(readFileSync(join(dir, 'freeze-calendar.yaml'), 'utf8')),
    policy: policyIn(join(dir, 'policy.yaml')),
    repository: sample.repository,
    repositoryUrl: sample.repositoryUrl,
    commitFacts: (commit): CommitFacts => sample.commits[commit] ?? {},
    now: now ?? new Date(sample.now),
  }
}

export interface LiveOptions {
  ledgerDir: string
  calendar: string
  policy: string
  repoDir: string
  repository: string
  repositoryUrl: string
  now: Date
}

export function liveSource(options: LiveOptions): BoardSource {
  return {
    ledger: ledgerIn(options.ledgerDir),
    verificationOf: verificationsIn(options.ledgerDir),
    calendar: parseFreezeCalendar(readFileSync(options.calendar, 'utf8')),
    policy: policyIn(options.policy),
    repository: options.repository,
    repositoryUrl: options.repositoryUrl,
    commitFacts: gitCommitFacts(options.repoDir),
    now: options.now,
  }
}
