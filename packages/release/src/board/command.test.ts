import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliIo, runCli } from '../cli.ts'
import { evidencePath } from '../evidence.ts'
import { formatLedgerLine } from '../ledger.ts'
import { digestOf, entry, evidenceFor, REPOSITORY } from '../test-support.ts'
import { gitCommitFacts } from './commit-facts.ts'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim()

/** A repository with two commits: the second adds a migration and bumps the registry's version. */
function repository() {
  const dir = mkdtempSync(join(tmpdir(), 'release-board-repo-'))
  git(dir, 'init', '--quiet')
  mkdirSync(join(dir, 'apps/registry/migrations'), { recursive: true })
  const release = (version: string, migrations: string[], subject: string): string => {
    writeFileSync(
      join(dir, 'apps/registry/package.json'),
      JSON.stringify({ name: '@ebox/registry', version }),
    )
    for (const name of migrations)
      writeFileSync(join(dir, 'apps/registry/migrations', `${name}.sql`), 'SELECT 1;')
    git(dir, 'add', '--all')
    git(dir, 'commit', '--quiet', '-m', subject)
    return git(dir, 'rev-parse', 'HEAD')
  }
  const first = release('2.0.0', ['0001_a'], 'First release')
  const second = release('2.1.0', ['0002_b'], 'Show <b>bold</b> & "quoted" names')
  return { dir, first, second }
}

function capture(env: NodeJS.ProcessEnv = {}) {
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text
    },
    stderr(text: string) {
      io.err += text
    },
    env,
  } satisfies CliIo & { out: string; err: string }
  return io
}

describe('gitCommitFacts', () => {
  it('reads the subject, the registry version and the migrations at a commit', () => {
    const { dir, first, second } = repository()
    const facts = gitCommitFacts(dir)
    expect(facts(first)).toEqual({ subject: 'First release', version: '2.0.0', migrations: ['0001_a'] })
    expect(facts(second)).toEqual({
      subject: 'Show <b>bold</b> & "quoted" names',
      version: '2.1.0',
      migrations: ['0001_a', '0002_b'],
    })
  })

  it('knows nothing of a commit the clone lacks', () => {
    const { dir } = repository()
    expect(gitCommitFacts(dir)('f'.repeat(40))).toEqual({
      subject: undefined,
      version: undefined,
      migrations: undefined,
    })
  })
})

describe('ebox-release board', () => {
  it('renders the ledger of a checkout, with facts from the repository history', async () => {
    const { dir, first, second } = repository()
    const ledgerDir = mkdtempSync(join(tmpdir(), 'release-board-ledger-'))
    const [A, B] = [digestOf('a'), digestOf('b')]
    const lines = [
      entry({ environment: 'prd', action: 'promote', digest: A, commit: first, approvedBy: ['carol'] }),
      entry({
        environment: 'prd',
        action: 'promote',
        digest: B,
        commit: second,
        at: '2026-06-02T10:00:00.000Z',
      }),
    ]
    writeFileSync(join(ledgerDir, 'ledger.jsonl'), lines.map(formatLedgerLine).join(''))
    mkdirSync(join(ledgerDir, evidencePath(B), '..'), { recursive: true })
    writeFileSync(join(ledgerDir, evidencePath(B)), JSON.stringify(evidenceFor(B, { commit: second })))
    const root = new URL('../../../../', import.meta.url).pathname
    const out = join(mkdtempSync(join(tmpdir(), 'release-board-out-')), 'board')
    const io = capture({ IMAGE_REPOSITORY: REPOSITORY, GITHUB_REPOSITORY: 'acme/ebox' })
    const code = await runCli(
      [
        'board',
        '--out',
        out,
        '--ledger-dir',
        ledgerDir,
        '--repo-dir',
        dir,
        '--calendar',
        join(root, 'release/freeze-calendar.yaml'),
        '--policy',
        join(root, 'release/policy.yaml'),
        '--now',
        '2026-06-03T09:00:00Z',
      ],
      io,
    )
    expect(code, io.err).toBe(0)
    expect(io.out).toBe(`board=${join(out, 'index.html')}\n`)
    const page = readFileSync(join(out, 'index.html'), 'utf8')
    expect(page).toContain('PRD runs v2.1.0')
    expect(page).toContain('Show &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; names')
    expect(page).toContain(`href="https://github.com/acme/ebox/commit/${second}"`)
    expect(page).toContain('Schema: compatible')
    expect(page).toContain('0002_b came with the release right after the target')
  })

  it('renders the sample with no ledger, repository or environment at hand', async () => {
    const out = mkdtempSync(join(tmpdir(), 'release-board-sample-'))
    const io = capture()
    expect(await runCli(['board', '--sample', '--out', out], io), io.err).toBe(0)
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('PRD is frozen')
  })

  it('refuses bad input with exit code 2 and says why', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--sample'], {}, /--out is required/],
      [['--sample', '--out', tmpdir(), '--limit', '0'], {}, /--limit must be a positive integer/],
      [['--sample', '--out', tmpdir(), '--now', 'yesterday'], {}, /not an instant: yesterday/],
      [['--sample', '--out', tmpdir(), '--colour', 'red'], {}, /Unknown option '--colour'/],
      [['--out', tmpdir()], {}, /image repository .* is missing/],
    ]
    for (const [args, env, message] of cases) {
      const io = capture(env)
      expect(await runCli(['board', ...args], io), args.join(' ')).toBe(2)
      expect(io.err).toMatch(message)
    }
  })
})
