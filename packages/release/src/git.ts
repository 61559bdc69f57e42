/** The few git operations the pipeline needs: the changelog between two commits, and pushing the ledger. */
import { execFileSync } from 'node:child_process'
import { parseChangeset } from './evidence.ts'
import { type ChangesetSummary, ReleaseError } from './schemas.ts'

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim()
    throw new ReleaseError('GIT', `git ${args.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, {
      cause: error,
    })
  }
}

export interface CommitLine {
  sha: string
  author: string
  subject: string
}

/** Commits reachable from `to` but not from `from`, newest first. */
export function commitsBetween(repoDir: string, from: string, to: string): CommitLine[] {
  return git(repoDir, ['log', '--format=%H%x1f%an%x1f%s', `${from}..${to}`])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha = '', author = '', subject = ''] = line.split('\x1f')
      return { sha, author, subject }
    })
}

export function isAncestor(repoDir: string, ancestor: string, descendant: string): boolean {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', ancestor, descendant], {
      cwd: repoDir,
      stdio: 'ignore',
    })
    return true
  } catch {
    return false
  }
}

/**
 * Changesets added between two commits, read as they were added: the version PR deletes them once released,
 * so the working tree alone would miss what a release carries.
 */
export function changesetsAddedBetween(repoDir: string, from: string, to: string): ChangesetSummary[] {
  const out = git(repoDir, [
    'log',
    '--diff-filter=A',
    '--format=%x1e%H',
    '--name-only',
    `${from}..${to}`,
    '--',
    '.changeset/*.md',
  ])
  const found: ChangesetSummary[] = []
  for (const block of out.split('\x1e').filter((text) => text.trim())) {
    const [sha = '', ...paths] = block.trim().split('\n').filter(Boolean)
    for (const path of paths) {
      if (path.endsWith('README.md')) continue
      const id = path.replace(/^\.changeset\//, '').replace(/\.md$/, '')
      found.push(parseChangeset(id, git(repoDir, ['show', `${sha}:${path}`])))
    }
  }
  return found
}

const IDENTITY = [
  '-c',
  'user.name=github-actions[bot]',
  '-c',
  'user.email=41898282+github-actions[bot]@users.noreply.github.com',
]

/**
 * Commits what `write` puts in the ledger checkout and pushes it. Two workflows may append at once (ACC and
 * PRD run in different concurrency groups): on a rejected push, start again from the remote branch and
 * re-apply, so no entry is lost and none is written twice.
 */
export function commitAndPush(
  ledgerDir: string,
  branch: string,
  message: string,
  write: () => void,
  attempts = 5,
): void {
  for (let attempt = 1; ; attempt++) {
    git(ledgerDir, ['fetch', '--quiet', 'origin', branch])
    git(ledgerDir, ['reset', '--quiet', '--hard', `origin/${branch}`])
    write()
    git(ledgerDir, ['add', '--all'])
    git(ledgerDir, [...IDENTITY, 'commit', '--quiet', '--message', message])
    try {
      git(ledgerDir, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`])
      return
    } catch (error) {
      if (attempt >= attempts) throw error
    }
  }
}
