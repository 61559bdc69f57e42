/**
 * The promotion ledger: JSON lines, append-only, on the `promotion-ledger` branch. What each stack runs, what
 * was rejected and where to roll back to are all read from it, so it is the one source of truth.
 */
import { type Environment, type LedgerEntry, LedgerEntry as LedgerEntrySchema, validate } from './schemas.ts'

export function parseLedger(text: string): LedgerEntry[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, number }) => {
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        value = line
      }
      return validate(LedgerEntrySchema, value, `ledger line ${number}`)
    })
}

export function formatLedgerLine(entry: LedgerEntry): string {
  validate(LedgerEntrySchema, entry, 'the new ledger entry')
  return `${JSON.stringify(entry)}\n`
}

export interface Deployed {
  digest: string
  commit: string
  at: string
}

type Establishing = LedgerEntry & { commit: string }

/** Entries after which the environment ran the entry's digest (with the infra of the entry's commit). */
function establishes(entry: LedgerEntry, environment: Environment): entry is Establishing {
  return (
    entry.commit !== undefined &&
    entry.environment === environment &&
    entry.outcome === 'succeeded' &&
    (entry.action === 'deploy' || entry.action === 'promote' || entry.action === 'rollback')
  )
}

/** What the environment runs now, as far as the ledger knows (the last successful deploy or rollback). */
export function currentDeployment(ledger: LedgerEntry[], environment: Environment): Deployed | undefined {
  const last = ledger.findLast((entry): entry is Establishing => establishes(entry, environment))
  return last && { digest: last.digest, commit: last.commit, at: last.at }
}

export function rejection(ledger: LedgerEntry[], digest: string): LedgerEntry | undefined {
  return ledger.find(
    (entry) => entry.action === 'reject' && entry.outcome === 'succeeded' && entry.digest === digest,
  )
}

/** Whether the digest ever ran successfully in the environment. */
export function everDeployed(
  ledger: LedgerEntry[],
  environment: Environment,
  digest: string,
): Deployed | undefined {
  const last = ledger.findLast(
    (entry): entry is Establishing => establishes(entry, environment) && entry.digest === digest,
  )
  return last && { digest: last.digest, commit: last.commit, at: last.at }
}

/**
 * Where to roll back to when `leaving` fails: the most recent digest that ran successfully in the environment,
 * is not `leaving` itself, and was not rejected since (rolling back onto a known-bad image helps nobody).
 */
export function rollbackTarget(
  ledger: LedgerEntry[],
  environment: Environment,
  leaving: string,
): Deployed | undefined {
  const last = ledger.findLast(
    (entry): entry is Establishing =>
      establishes(entry, environment) &&
      entry.digest !== leaving &&
      rejection(ledger, entry.digest) === undefined,
  )
  return last && { digest: last.digest, commit: last.commit, at: last.at }
}

/** The last successful ACC deploy of a commit: how a proposal after ACC finds its digest. */
export function accDeployOfCommit(ledger: LedgerEntry[], commit: string): LedgerEntry | undefined {
  return ledger.findLast(
    (entry) =>
      entry.environment === 'acc' &&
      entry.action === 'deploy' &&
      entry.outcome === 'succeeded' &&
      entry.commit === commit,
  )
}
