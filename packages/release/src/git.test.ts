import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { changesetsAddedBetween, commitAndPush, commitsBetween, isAncestor } from './git.ts'

const IDENTITY = ['-c', 'user.name=t', '-c', 'user.email=t@example.com']
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8' }).trim()

function commit(repo: string, message: string, files: Record<string, string | null>): string {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(join(repo, path))
    else {
      mkdirSync(join(repo, path, '..'), { recursive: true })
      writeFileSync(join(repo, path), content)
    }
  }
  git(repo, 'add', '--all')
  git(repo, 'commit', '--quiet', '--allow-empty', '-m', message)
  return git(repo, 'rev-parse', 'HEAD')
}

function repository(): string {
  const repo = mkdtempSync(join(tmpdir(), 'release-git-'))
  git(repo, 'init', '--quiet', '--initial-branch=main')
  return repo
}

describe('the changelog between what PRD runs and the candidate', () => {
  const repo = repository()
  const prd = commit(repo, 'PRD runs this', { '.changeset/README.md': '# Changesets', 'a.txt': '1' })
  commit(repo, 'feat: exports', {
    '.changeset/brave-fox.md': "---\n'@ebox/registry': minor\n---\nAdds exports.",
  })
  commit(repo, 'fix: <b>escape</b>', {
    '.changeset/calm-owl.md': "---\n'@ebox/registry': patch\n---\nFixes a crash.",
  })
  // The version PR consumes the changesets; they must still be found.
  const candidate = commit(repo, 'Version packages', {
    '.changeset/brave-fox.md': null,
    '.changeset/calm-owl.md': null,
  })

  it('lists the commits, newest first', () => {
    expect(commitsBetween(repo, prd, candidate).map((c) => c.subject)).toEqual([
      'Version packages',
      'fix: <b>escape</b>',
      'feat: exports',
    ])
  })

  it('finds the changesets added in the range, even those released since', () => {
    expect(changesetsAddedBetween(repo, prd, candidate)).toEqual([
      { id: 'calm-owl', releases: { '@ebox/registry': 'patch' }, summary: 'Fixes a crash.' },
      { id: 'brave-fox', releases: { '@ebox/registry': 'minor' }, summary: 'Adds exports.' },
    ])
  })

  it('tells a downgrade from an upgrade', () => {
    expect(isAncestor(repo, prd, candidate)).toBe(true)
    expect(isAncestor(repo, candidate, prd)).toBe(false)
  })

  it('reports a commit git does not know', () => {
    expect(() => commitsBetween(repo, 'f'.repeat(40), candidate)).toThrow(/git log .* failed/)
  })
})

describe('pushing the ledger', () => {
  function ledgerClones(): [string, string] {
    const remote = mkdtempSync(join(tmpdir(), 'ledger-remote-'))
    git(remote, 'init', '--quiet', '--bare')
    const seed = repository()
    commit(seed, 'ledger', { 'ledger.jsonl': '' })
    git(seed, 'push', '--quiet', remote, 'HEAD:refs/heads/promotion-ledger')
    const clone = (): string => {
      const dir = mkdtempSync(join(tmpdir(), 'ledger-clone-'))
      git(dir, 'clone', '--quiet', '--branch', 'promotion-ledger', remote, '.')
      return dir
    }
    return [clone(), clone()]
  }

  it('appends and pushes, retrying from the remote when another run pushed first', () => {
    const [first, second] = ledgerClones()
    commitAndPush(first, 'promotion-ledger', 'one', () =>
      appendFileSync(join(first, 'ledger.jsonl'), 'one\n'),
    )
    // `second` still has the old branch: its first push is rejected, the retry re-applies on top of `one`.
    let writes = 0
    commitAndPush(second, 'promotion-ledger', 'two', () => {
      writes++
      appendFileSync(join(second, 'ledger.jsonl'), 'two\n')
    })
    expect(writes).toBe(1) // it fetched before writing, so no retry was even needed
    git(first, 'pull', '--quiet')
    expect(readFileSync(join(first, 'ledger.jsonl'), 'utf8')).toBe('one\ntwo\n')
  })

  it('retries when the push is rejected', () => {
    const [first, second] = ledgerClones()
    let writes = 0
    commitAndPush(second, 'promotion-ledger', 'two', () => {
      writes++
      // Another run pushes between this run's fetch and its push.
      if (writes === 1)
        commitAndPush(first, 'promotion-ledger', 'one', () =>
          appendFileSync(join(first, 'ledger.jsonl'), 'one\n'),
        )
      appendFileSync(join(second, 'ledger.jsonl'), 'two\n')
    })
    expect(writes).toBe(2)
    expect(readFileSync(join(second, 'ledger.jsonl'), 'utf8')).toBe('one\ntwo\n')
  })
})
