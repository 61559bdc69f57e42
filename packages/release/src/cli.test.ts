import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PREDICATE } from './attestations.ts'
import { type CliIo, parseOutcomes, runCli } from './cli.ts'
import { evidencePath } from './evidence.ts'
import { parseLedger } from './ledger.ts'
import { TestCa } from './test-ca.ts'
import { digestOf, REPOSITORY } from './test-support.ts'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  })

function workspace() {
  const root = mkdtempSync(join(tmpdir(), 'release-cli-'))
  const remote = join(root, 'remote.git')
  mkdirSync(remote)
  git(remote, 'init', '--quiet', '--bare')
  const seed = join(root, 'seed')
  mkdirSync(seed)
  git(seed, 'init', '--quiet')
  git(seed, 'commit', '--quiet', '--allow-empty', '-m', 'promotion ledger')
  git(seed, 'push', '--quiet', remote, 'HEAD:refs/heads/promotion-ledger')
  git(root, 'clone', '--quiet', '--branch', 'promotion-ledger', remote, 'ledger')

  for (const profile of ['prod', 'certification']) {
    mkdirSync(join(root, 'conformance', profile), { recursive: true })
    writeFileSync(join(root, 'conformance', profile, 'report.json'), `{"profile":"${profile}","passed":true}`)
  }
  writeFileSync(
    join(root, 'load.json'),
    JSON.stringify({ passed: true, requests: 900, errors: 0, p95Ms: 35, maxErrorRate: 0.01, maxP95Ms: 500 }),
  )
  mkdirSync(join(root, 'changesets'))
  writeFileSync(join(root, 'changesets', 'brave-fox.md'), "---\n'@ebox/registry': minor\n---\nAdds exports.")
  writeFileSync(join(root, 'calendar.yaml'), 'timeZone: Europe/Brussels\nwindows: []\nweekly: []\n')
  // The source repository: the commit ACC verifies is on its main.
  const repo = join(root, 'repo')
  mkdirSync(repo)
  git(repo, 'init', '--quiet', '--initial-branch', 'main')
  git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'feat: exports')
  const commit = git(repo, 'rev-parse', 'HEAD').trim()
  mkdirSync(join(root, 'attestations'))
  writeFileSync(join(root, 'trusted_root.json'), ca.trustedRoot())
  return { root, remote, repo, commit, ledger: join(root, 'ledger') }
}

function cli(root: string) {
  return async (...argv: string[]) => {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      stdout: (text) => {
        stdout += text
      },
      stderr: (text) => {
        stderr += text
      },
      env: {
        GITHUB_ACTOR: 'alice',
        GITHUB_REPOSITORY: 'acme/ebox',
        GITHUB_RUN_ID: '42',
        IMAGE_REPOSITORY: REPOSITORY,
      },
    }
    const common = ['--ledger-dir', join(root, 'ledger'), '--calendar', join(root, 'calendar.yaml')]
    const policy = ['--policy', new URL('../../../release/policy.yaml', import.meta.url).pathname]
    const takesFiles = !['freeze', 'wait-ready', 'lint-workflows'].includes(argv[0] ?? '')
    const code = await runCli([...argv, ...(takesFiles ? [...common, ...policy] : [])], io)
    return { code, stdout, stderr }
  }
}

const D = digestOf('d')
const ca = new TestCa()
const MIGRATIONS = new URL('../../../apps/registry/migrations', import.meta.url).pathname

/** What `actions/attest` does in deploy-acc.yml (or reject-digest.yml): sign the predicate file on the digest. */
function attest(
  root: string,
  commit: string,
  workflow: string,
  predicateType: string,
  file: string,
  at: string,
) {
  const signer = { repository: 'acme/ebox', workflow, ref: 'refs/heads/main', commit, at: new Date(at) }
  const bundle = ca.attest(signer, D, predicateType, JSON.parse(readFileSync(file, 'utf8')))
  writeFileSync(join(root, 'attestations', `${D}.jsonl`), `${JSON.stringify(bundle)}\n`, { flag: 'a' })
  return bundle
}
const PASSED =
  'up=success ready=success conformance_prod=success conformance_certification=success load=success verification=success attest_verification=success rollback=skipped'

describe('ebox-release, from ACC to PRD', () => {
  const { root, remote, repo, commit, ledger } = workspace()
  const run = cli(root)
  const verdict = join(root, 'verdict.json')
  const trustArgs = [
    '--trusted-root',
    join(root, 'trusted_root.json'),
    '--attestations',
    join(root, 'attestations'),
    '--repo-dir',
    repo,
    '--main-ref',
    'main',
  ]
  const check = (now: string) =>
    run(
      'check',
      ...trustArgs,
      '--decision',
      'promote',
      '--digest',
      D,
      '--signature',
      'success',
      '--provenance',
      'success',
      '--now',
      now,
      '--out',
      verdict,
    )

  it('writes the ACC deploy record and verification that deploy-acc.yml signs', async () => {
    const arrival = await run(
      'acc-record',
      '--event',
      'arrived',
      '--digest',
      D,
      '--commit',
      commit,
      '--now',
      '2026-06-10T07:30:00Z',
      '--out',
      join(root, 'arrival.json'),
    )
    expect(arrival.stdout).toBe('at=2026-06-10T07:30:00.000Z\n')
    expect(JSON.parse(readFileSync(join(root, 'arrival.json'), 'utf8'))).toEqual({
      digest: D,
      commit,
      event: 'arrived',
      at: '2026-06-10T07:30:00.000Z',
      runUrl: 'https://github.com/acme/ebox/actions/runs/42',
    })
    const result = await run(
      'acc-verification',
      '--digest',
      D,
      '--commit',
      commit,
      '--deployed-at',
      '2026-06-10T07:30:00.000Z',
      '--conformance-dir',
      join(root, 'conformance'),
      '--load-report',
      join(root, 'load.json'),
      '--changeset-dir',
      join(root, 'changesets'),
      '--migrations-dir',
      MIGRATIONS,
      '--now',
      '2026-06-10T08:00:00Z',
      '--out',
      join(root, 'verification.json'),
    )
    expect(result.code).toBe(0)
    expect(JSON.parse(readFileSync(join(root, 'verification.json'), 'utf8'))).toMatchObject({
      schemaVersion: expect.stringMatching(/^\d{4}_/),
      deployedAt: '2026-06-10T07:30:00.000Z',
      verifiedAt: '2026-06-10T08:00:00.000Z',
    })
    writeFileSync(
      join(root, 'verification.sigstore.json'),
      JSON.stringify(
        attest(
          root,
          commit,
          'deploy-acc.yml',
          PREDICATE.accVerification,
          join(root, 'verification.json'),
          '2026-06-10T08:00:00Z',
        ),
      ),
    )
    writeFileSync(join(root, 'provenance.json'), '{"buildDefinition":{}}')
    attest(
      root,
      commit,
      'deploy-acc.yml',
      PREDICATE.provenance,
      join(root, 'provenance.json'),
      '2026-06-10T07:00:00Z',
    )
  })

  it('records evidence and the ACC deployment after ACC passed, and pushes them', async () => {
    const result = await run(
      'settle',
      '--env',
      'acc',
      '--action',
      'deploy',
      '--digest',
      D,
      '--commit',
      commit,
      '--outcomes',
      PASSED,
      '--evidence',
      join(root, 'verification.json'),
      '--bundle',
      join(root, 'verification.sigstore.json'),
      '--conformance-dir',
      join(root, 'conformance'),
      '--load-report',
      join(root, 'load.json'),
      '--now',
      '2026-06-10T08:00:00Z',
    )
    expect(result.stderr).toBe(`ACC runs ${D} (deploy succeeded)\n`)
    expect(result.code).toBe(0)
    const pushed = git(remote, 'show', `promotion-ledger:${evidencePath(D)}`)
    expect(JSON.parse(pushed)).toMatchObject({
      digest: D,
      image: `${REPOSITORY}@${D}`,
      commit: commit,
      verifiedAt: '2026-06-10T08:00:00.000Z',
      runUrl: 'https://github.com/acme/ebox/actions/runs/42',
      changesets: [{ id: 'brave-fox', releases: { '@ebox/registry': 'minor' }, summary: 'Adds exports.' }],
      conformance: [
        { profile: 'prod', passed: true },
        { profile: 'certification', passed: true },
      ],
    })
    expect(
      git(remote, 'show', `promotion-ledger:evidence/${'d'.repeat(64)}/conformance-prod.json`),
    ).toContain('"prod"')
    expect(
      git(remote, 'show', `promotion-ledger:evidence/${'d'.repeat(64)}/acc-verification.sigstore.json`),
    ).toContain('dsseEnvelope')
    const [recorded] = parseLedger(git(remote, 'show', 'promotion-ledger:ledger.jsonl'))
    expect(recorded).toMatchObject({
      environment: 'acc',
      action: 'deploy',
      outcome: 'succeeded',
      actor: 'alice',
    })
  })

  it('refuses the digest before it soaked, then allows it, naming the evidence image and commit', async () => {
    const early = await check('2026-06-10T09:00:00Z')
    expect(early.code).toBe(1)
    expect(early.stderr).toContain('::error::SOAK_INCOMPLETE: soaked 90 of 120 minutes in ACC')
    expect(early.stdout).toContain('promotable=false\n')

    const later = await check('2026-06-10T10:00:00Z')
    expect(later.code).toBe(0)
    expect(later.stdout).toContain(`image=${REPOSITORY}@${D}\n`)
    expect(later.stdout).toContain(`commit=${commit}\n`)
    expect(later.stdout).toContain('rollback-image=\n')
    expect(JSON.parse(readFileSync(verdict, 'utf8')).promotable).toBe(true)
  })

  it('lets a proposal wait for the soak, with a warning instead of an error', async () => {
    const result = await run(
      'check',
      ...trustArgs,
      '--digest',
      D,
      '--signature',
      'success',
      '--provenance',
      'success',
      '--allow-waiting',
      '--now',
      '2026-06-10T09:00:00Z',
      '--out',
      join(root, 'waiting.json'),
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('::warning::SOAK_INCOMPLETE')
  })

  it('refuses when the signature did not verify', async () => {
    const result = await run(
      'check',
      ...trustArgs,
      '--digest',
      D,
      '--signature',
      'failure',
      '--provenance',
      'success',
      '--now',
      '2026-06-10T10:00:00Z',
      '--out',
      join(root, 'unsigned.json'),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('::error::VERIFICATION_FAILED: the image signature did not verify')
  })

  it('renders the summary from the verdict', async () => {
    await check('2026-06-10T10:00:00Z')
    const result = await run('summary', '--verdict', verdict)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('## PRD promotion: ✅ ready for approval')
    expect(result.stdout).toContain('Verified in ACC at 2026-06-10 10:00 (+02:00)')
  })

  it('records the promotion, and then knows what PRD runs', async () => {
    const result = await run(
      'settle',
      '--env',
      'prd',
      '--action',
      'promote',
      '--digest',
      D,
      '--commit',
      commit,
      '--outcomes',
      'check=success approvals=success up=success ready=success conformance=success rollback=skipped',
      '--verdict',
      verdict,
      '--approved-by',
      'rm-bob,rm-carol',
    )
    expect(result.code).toBe(0)
    const current = await run('current', '--env', 'prd')
    expect(current.stdout).toBe(`digest=${D}\ncommit=${commit}\nimage=${REPOSITORY}@${D}\n`)
    const entries = parseLedger(readFileSync(join(ledger, 'ledger.jsonl'), 'utf8'))
    expect(entries.at(-1)).toMatchObject({
      environment: 'prd',
      action: 'promote',
      approvedBy: ['rm-bob', 'rm-carol'],
    })
  })

  it('records a rejection and writes what reject-digest.yml signs; the signed one refuses the digest', async () => {
    const out = join(root, 'rejection.json')
    expect((await run('reject', '--digest', D, '--reason', 'breaks exports', '--out', out)).code).toBe(0)
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({
      digest: D,
      reason: 'breaks exports',
      actor: 'alice',
    })
    const at = JSON.parse(readFileSync(out, 'utf8')).at
    attest(root, commit, 'reject-digest.yml', PREDICATE.rejection, out, at)
    writeFileSync(join(ledger, 'ledger.jsonl'), '') // whoever deletes the ledger line does not lift it
    const result = await check('2026-06-10T10:00:00Z')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('::error::REJECTED: rejected by alice')
  })

  it('records a refusal of a digest nobody knows, without a commit', async () => {
    const unknown = digestOf('e')
    await run(
      'check',
      ...trustArgs,
      '--digest',
      unknown,
      '--signature',
      'success',
      '--provenance',
      'success',
      '--out',
      verdict,
    )
    const result = await run(
      'settle',
      '--env',
      'prd',
      '--action',
      'promote',
      '--digest',
      unknown,
      '--outcomes',
      'check=failure',
      '--verdict',
      verdict,
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('NO_EVIDENCE')
    const last = parseLedger(readFileSync(join(ledger, 'ledger.jsonl'), 'utf8')).at(-1)
    expect(last).toMatchObject({ outcome: 'refused', digest: unknown })
    expect(last?.commit).toBeUndefined()
  })
})

describe('ebox-release, when ACC fails', () => {
  const { root, remote, commit } = workspace()
  const run = cli(root)

  it('records no evidence, only the failure, and fails the job', async () => {
    const result = await run(
      'settle',
      '--env',
      'acc',
      '--action',
      'deploy',
      '--digest',
      D,
      '--commit',
      commit,
      '--outcomes',
      PASSED.replace('conformance_certification=success', 'conformance_certification=failure'),
      '--conformance-dir',
      join(root, 'conformance'),
      '--load-report',
      join(root, 'load.json'),
    )
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('::error::ACC failed on')
    expect(() => git(remote, 'show', `promotion-ledger:${evidencePath(D)}`)).toThrow()
    const entries = parseLedger(git(remote, 'show', 'promotion-ledger:ledger.jsonl'))
    expect(entries.map((e) => [e.environment, e.action, e.outcome, e.evidence])).toEqual([
      ['acc', 'deploy', 'failed', undefined],
    ])
  })
})

describe('ebox-release, odds and ends', () => {
  const { root } = workspace()
  const run = cli(root)

  it('prints the usage for an unknown command, and says what is missing', async () => {
    expect((await run('deploy')).code).toBe(2)
    const missing = await run('check', '--decision', 'promote')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('::error::ebox-release check: --digest is required')
    expect((await run('check', '--bogus')).code).toBe(2)
  })

  it('tells whether PRD is frozen at an instant, in Brussels time', async () => {
    const calendar = new URL('../../../release/freeze-calendar.yaml', import.meta.url).pathname
    const frozen = await run('freeze', '--calendar', calendar, '--at', '2026-12-24T09:00:00Z')
    expect(frozen.stdout).toContain('frozen at 2026-12-24 10:00 (+01:00): Year-end freeze')
    expect(frozen.stdout).toContain('frozen=true')
    const open = await run('freeze', '--calendar', calendar, '--at', '2026-11-25T10:00:00Z')
    expect(open.stdout).toContain('not frozen at 2026-11-25 11:00 (+01:00)')
  })

  it('reads step outcomes given as id=outcome pairs', () => {
    expect(parseOutcomes('up=success\n ready=failure,load=skipped')).toEqual({
      up: { outcome: 'success' },
      ready: { outcome: 'failure' },
      load: { outcome: 'skipped' },
    })
    expect(() => parseOutcomes('up')).toThrow(/not id=outcome/)
  })

  it('refuses an image repository that is not lowercase', async () => {
    const result = await run('current', '--env', 'prd', '--repository', 'ghcr.io/Acme/Registry')
    expect(result.code).toBe(2)
  })
})
