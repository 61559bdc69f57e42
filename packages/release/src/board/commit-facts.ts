/**
 * What the board says about a commit beyond the ledger: its subject, the registry's version and the database
 * migrations it ships. Read from git in the workflow's checkout (full history), or from the sample's table.
 */
import { execFileSync } from 'node:child_process'

export interface CommitFacts {
  subject?: string
  /** `version` of apps/registry/package.json at the commit. */
  version?: string
  /** Migration names (file names without `.sql`) at the commit, sorted. */
  migrations?: string[]
}

export type CommitFactsOf = (commit: string) => CommitFacts

export const REGISTRY_PACKAGE = 'apps/registry/package.json'
export const MIGRATIONS_DIR = 'apps/registry/migrations'

function gitOrUndefined(repoDir: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    // A commit the clone does not have (shallow checkout, rewritten history): the board says "unknown".
    return undefined
  }
}

/** Facts from the git history in `repoDir`; each commit is read once. */
export function gitCommitFacts(repoDir: string): CommitFactsOf {
  const cache = new Map<string, CommitFacts>()
  return (commit) => {
    const known = cache.get(commit)
    if (known) return known
    const subject = gitOrUndefined(repoDir, ['log', '-1', '--format=%s', commit, '--'])?.trim()
    const manifest = gitOrUndefined(repoDir, ['show', `${commit}:${REGISTRY_PACKAGE}`])
    let version: string | undefined
    try {
      version = manifest === undefined ? undefined : (JSON.parse(manifest) as { version?: string }).version
    } catch {
      version = undefined
    }
    const listing = gitOrUndefined(repoDir, ['ls-tree', '--name-only', `${commit}:${MIGRATIONS_DIR}`])
    const migrations = listing
      ?.split('\n')
      .filter((name) => name.endsWith('.sql'))
      .map((name) => name.slice(0, -'.sql'.length))
      .sort()
    const facts: CommitFacts = { subject, version, migrations }
    cache.set(commit, facts)
    return facts
  }
}
