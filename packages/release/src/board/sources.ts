/**
 * Where the board's input comes from: the ledger checkout and the repository's history (in a workflow), or the
 * sample shipped in `packages/release/sample` (anyone, offline, with a fixed clock so its freeze is in force).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { parse } from 'yaml'
import type { AccDeployRecord, Attested, DigestAttestations } from '../attestations.ts'
import { evidencePath } from '../evidence.ts'
import { parseFreezeCalendar } from '../freeze.ts'
import { parseLedger } from '../ledger.ts'
import {
  AccEvidence,
  CommitSha,
  Instant,
  type LedgerEntry,
  Policy,
  ReleaseError,
  validate,
} from '../schemas.ts'
import type { SignerIdentity } from '../sigstore-bundle.ts'
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

/**
 * Who "signed" what the board reads: nobody it checked. The board is a view; the promotion run verifies the
 * Sigstore bundles (attestations.ts) before it trusts a statement.
 */
export const FROM_THE_LEDGER = 'from the ledger, unverified'
const UNVERIFIED: SignerIdentity = {
  san: FROM_THE_LEDGER,
  issuer: '',
  buildSignerUri: '',
  sourceRepositoryUri: '',
  sourceRepositoryDigest: '',
  sourceRepositoryRef: '',
  runInvocationUri: '',
}
const unverified = <T>(predicate: T, at: string): Attested<T> => ({
  predicate,
  signer: UNVERIFIED,
  signedAfter: new Date(at),
  signedBefore: new Date(at),
})

/**
 * ACC's arrived/departed records as the ledger tells them: a digest arrives when an ACC deploy (or rollback) of
 * it succeeds, and departs when the next one of another digest succeeds. A failed deployment that ACC rolled
 * back from does not end the stay, as the signed records of deploy-acc.yml would not either.
 */
export function accDeploysInLedger(ledger: LedgerEntry[]): AccDeployRecord[] {
  const records: AccDeployRecord[] = []
  let running: LedgerEntry | undefined
  for (const entry of ledger) {
    if (entry.environment !== 'acc' || entry.outcome !== 'succeeded' || !entry.commit) continue
    if (entry.action !== 'deploy' && entry.action !== 'rollback') continue
    if (running?.digest === entry.digest) continue
    const { at, runUrl } = entry
    if (running?.commit)
      records.push({
        digest: running.digest,
        commit: running.commit,
        event: 'departed',
        at,
        counterpart: entry.digest,
        runUrl,
      })
    records.push({ digest: entry.digest, commit: entry.commit, event: 'arrived', at, runUrl })
    running = entry
  }
  return records
}

/**
 * What the board shows about a digest, in the promotion model's terms: the verification record it is given
 * (`verificationOf`) and the ACC stays the ledger records, none of it signature-checked (see FROM_THE_LEDGER).
 * The build provenance is taken to name the verified commit: the promotion run checks that too.
 */
export function attestationsOf(
  ledger: LedgerEntry[],
  verificationOf: (digest: string) => unknown,
): (digest: string) => DigestAttestations {
  const deploys = accDeploysInLedger(ledger)
  return (digest) => {
    const facts: DigestAttestations = {
      deploys: deploys
        .filter((record) => record.digest === digest)
        .map((record) => unverified(record, record.at)),
      rejections: [],
      distrusted: [],
    }
    const record = verificationOf(digest)
    if (record === undefined) return facts
    if (!Value.Check(AccEvidence, record)) {
      const first = [...Value.Errors(AccEvidence, record)][0]
      facts.distrusted.push(`the verification record is not valid: ${first?.path || '/'}: ${first?.message}`)
    } else if (record.digest !== digest)
      facts.distrusted.push(`the verification record names ${record.digest}, not ${digest}`)
    else {
      facts.verification = unverified(record, record.verifiedAt)
      facts.provenanceCommit = record.commit
    }
    return facts
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
