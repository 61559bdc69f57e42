/**
 * `ebox-release check` against real signatures: a local Fulcio-like CA issues workflow certificates, the test
 * signs in-toto statements with them, and the command verifies them exactly as in the workflow.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PREDICATE } from '../attestations.ts'
import { type CliIo, runCli } from '../cli.ts'
import type { Verdict } from '../promotion.ts'
import { type GitHubSigner, signedBundle, TestCa, unsignedBundle } from '../test-ca.ts'
import { digestOf, entry, evidenceFor, REPOSITORY } from '../test-support.ts'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim()

const ca = new TestCa()
const root = mkdtempSync(join(tmpdir(), 'release-check-'))
const repo = join(root, 'repo')
mkdirSync(repo)
git(repo, 'init', '--quiet', '--initial-branch', 'main')
git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'one')
const MAIN_COMMIT = git(repo, 'rev-parse', 'HEAD')
git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'two')
const OTHER_MAIN_COMMIT = git(repo, 'rev-parse', 'HEAD')
git(repo, 'checkout', '--quiet', '-b', 'feature', MAIN_COMMIT)
git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'side')
const SIDE_COMMIT = git(repo, 'rev-parse', 'HEAD')

writeFileSync(join(root, 'trusted_root.json'), ca.trustedRoot())
writeFileSync(join(root, 'calendar.yaml'), 'timeZone: Europe/Brussels\nwindows: []\nweekly: []\n')
mkdirSync(join(root, 'ledger'))

const D = digestOf('d')
const DEPLOYED = new Date('2026-06-10T07:30:00Z')
const VERIFIED = new Date('2026-06-10T08:00:00Z')
const AFTER_SOAK = '2026-06-10T10:00:00Z'

const signer = (overrides: Partial<GitHubSigner> = {}): GitHubSigner => ({
  repository: 'acme/ebox',
  workflow: 'deploy-acc.yml',
  ref: 'refs/heads/main',
  commit: MAIN_COMMIT,
  at: VERIFIED,
  ...overrides,
})

const verificationPredicate = (commit = MAIN_COMMIT, digest = D) => {
  const { schema: _schema, ...fields } = evidenceFor(digest, {
    commit,
    deployedAt: DEPLOYED.toISOString(),
    verifiedAt: VERIFIED.toISOString(),
  })
  return { schema: 'ebox.acc-evidence/v2', ...fields }
}

const verification = (overrides: Partial<GitHubSigner> = {}, predicate = verificationPredicate()) =>
  ca.attest(signer(overrides), D, PREDICATE.accVerification, predicate)

const provenance = (commit = MAIN_COMMIT) =>
  ca.attest(signer({ commit, at: new Date('2026-06-10T07:00:00Z') }), D, PREDICATE.provenance, {
    buildDefinition: { buildType: 'https://actions.github.io/buildtypes/workflow/v1' },
  })

let run = 0
/** Runs `check` with the given bundles downloaded for D, as `gh attestation download` would leave them. */
async function check(bundles: object[], options: { now?: string; ledger?: string } = {}) {
  const dir = join(root, `attestations-${run++}`)
  mkdirSync(dir)
  writeFileSync(join(dir, `${D}.jsonl`), bundles.map((bundle) => JSON.stringify(bundle)).join('\n'))
  const ledgerDir = join(root, `ledger-${run}`)
  mkdirSync(ledgerDir)
  if (options.ledger) writeFileSync(join(ledgerDir, 'ledger.jsonl'), options.ledger)
  let stderr = ''
  const io: CliIo = {
    stdout: () => {},
    stderr: (text) => {
      stderr += text
    },
    env: { GITHUB_REPOSITORY: 'acme/ebox', IMAGE_REPOSITORY: REPOSITORY },
  }
  const out = join(dir, 'verdict.json')
  const code = await runCli(
    [
      'check',
      '--digest',
      D,
      '--signature',
      'success',
      '--provenance',
      'success',
      '--trusted-root',
      join(root, 'trusted_root.json'),
      '--attestations',
      dir,
      '--repo-dir',
      repo,
      '--main-ref',
      'main',
      '--ledger-dir',
      ledgerDir,
      '--calendar',
      join(root, 'calendar.yaml'),
      '--policy',
      new URL('../../../../release/policy.yaml', import.meta.url).pathname,
      '--now',
      options.now ?? AFTER_SOAK,
      '--out',
      out,
    ],
    io,
  )
  const verdict = JSON.parse(readFileSync(out, 'utf8')) as Verdict
  return { code, stderr, verdict, messages: verdict.refusals.map((refusal) => refusal.message).join('\n') }
}

describe('ebox-release check trusts only what deploy-acc.yml on main signed', () => {
  it('accepts the genuine attestation: verification and provenance of the same commit on main', async () => {
    const { code, verdict } = await check([provenance(), verification()])
    expect(verdict.refusals).toEqual([])
    expect(code).toBe(0)
    expect(verdict.candidate).toEqual({ digest: D, image: `${REPOSITORY}@${D}`, commit: MAIN_COMMIT })
    expect(verdict.acc).toEqual({ since: DEPLOYED.toISOString() })
  })

  it('refuses when no statement is offered, or an unsigned one', async () => {
    expect((await check([provenance()])).verdict.refusals.map((r) => r.code)).toEqual(['NO_EVIDENCE'])
    const forged = unsignedBundle({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPOSITORY, digest: { sha256: D.slice(7) } }],
      predicateType: PREDICATE.accVerification,
      predicate: verificationPredicate(),
    })
    const { code, messages } = await check([provenance(), forged])
    expect(code).toBe(1)
    expect(messages).toContain('the bundle has no signed DSSE envelope')
  })

  it('refuses a statement whose signature does not verify, or from a CA outside the trusted root', async () => {
    const genuine = verification() as { dsseEnvelope: { payload: string } }
    const payload = JSON.parse(Buffer.from(genuine.dsseEnvelope.payload, 'base64').toString())
    payload.predicate.verifiedAt = '2026-06-10T08:01:00.000Z'
    const tampered = {
      ...genuine,
      dsseEnvelope: {
        ...genuine.dsseEnvelope,
        payload: Buffer.from(JSON.stringify(payload)).toString('base64'),
      },
    }
    expect((await check([provenance(), tampered])).messages).toContain('envelope signature does not verify')
    const rogue = new TestCa('rogue root')
    const { der, key } = rogue.issue(signer())
    const foreign = signedBundle(der, key, {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: REPOSITORY, digest: { sha256: D.slice(7) } }],
      predicateType: PREDICATE.accVerification,
      predicate: verificationPredicate(),
    })
    expect((await check([provenance(), foreign])).messages).toContain(
      'does not chain to a trusted certificate authority',
    )
  })

  it('refuses evidence signed by another workflow, or by deploy-acc.yml on another ref', async () => {
    const other = await check([provenance(), verification({ workflow: 'ci.yml' })])
    expect(other.code).toBe(1)
    expect(other.messages).toContain(
      'signed by https://github.com/acme/ebox/.github/workflows/ci.yml@refs/heads/main, not https://github.com/acme/ebox/.github/workflows/deploy-acc.yml@refs/heads/main',
    )
    const branch = await check([provenance(), verification({ ref: 'refs/heads/feature' })])
    expect(branch.code).toBe(1)
    expect(branch.messages).toContain('deploy-acc.yml@refs/heads/feature, not')
    const fork = await check([provenance(), verification({ repository: 'mallory/ebox' })])
    expect(fork.messages).toContain('signed by https://github.com/mallory/ebox/')
  })

  it('refuses a statement about another digest, or naming another digest', async () => {
    const aboutOther = ca.attest(signer(), digestOf('e'), PREDICATE.accVerification, verificationPredicate())
    expect((await check([provenance(), aboutOther])).messages).toContain(
      'acc-verification/v1 is about another image',
    )
    const namingOther = verification({}, verificationPredicate(MAIN_COMMIT, digestOf('e')))
    expect((await check([provenance(), namingOther])).messages).toContain(`names ${digestOf('e')}, not ${D}`)
  })

  it("refuses a commit that is not the build provenance's", async () => {
    const { code, messages } = await check([
      provenance(MAIN_COMMIT),
      verification({ commit: OTHER_MAIN_COMMIT }, verificationPredicate(OTHER_MAIN_COMMIT)),
    ])
    expect(code).toBe(1)
    expect(messages).toContain(
      `ACC verified commit ${OTHER_MAIN_COMMIT}, but the image was built from ${MAIN_COMMIT}`,
    )
    const noProvenance = await check([verification()])
    expect(noProvenance.messages).toContain('no build provenance signed by deploy-acc.yml on refs/heads/main')
    const lying = await check([provenance(), verification({}, verificationPredicate(OTHER_MAIN_COMMIT))])
    expect(lying.messages).toContain(
      `names commit ${OTHER_MAIN_COMMIT}, but was signed by a run of ${MAIN_COMMIT}`,
    )
  })

  it('refuses a commit that is not on main', async () => {
    const { code, messages } = await check([
      provenance(SIDE_COMMIT),
      verification({ commit: SIDE_COMMIT }, verificationPredicate(SIDE_COMMIT)),
    ])
    expect(code).toBe(1)
    expect(messages).toContain(`commit ${SIDE_COMMIT} is not on main`)
  })

  it('refuses a back-dated verification (the certificate says when it was signed)', async () => {
    const backDated = verificationPredicate()
    backDated.deployedAt = '2026-06-10T05:00:00.000Z'
    backDated.verifiedAt = '2026-06-10T05:30:00.000Z'
    const { code, messages } = await check([provenance(), verification({}, backDated)], {
      now: '2026-06-10T07:45:00Z',
    })
    expect(code).toBe(1)
    expect(messages).toContain(
      'says verified at 2026-06-10T05:30:00.000Z, but was signed between 2026-06-10T08:00:00.000Z and 2026-06-10T08:10:00.000Z: back-dated',
    )
  })

  it('refuses a digest rejected by a statement reject-digest.yml signed, and ignores one anyone else signed', async () => {
    const rejection = (workflow: string) =>
      ca.attest(signer({ workflow, at: new Date('2026-06-10T09:00:00Z') }), D, PREDICATE.rejection, {
        digest: D,
        reason: 'breaks exports',
        actor: 'rm-bob',
        at: '2026-06-10T09:00:00.000Z',
      })
    const rejected = await check([provenance(), verification(), rejection('reject-digest.yml')])
    expect(rejected.verdict.refusals).toEqual([
      { code: 'REJECTED', message: 'rejected by rm-bob at 2026-06-10T09:00:00.000Z: breaks exports' },
    ])
    const bogus = await check([provenance(), verification(), rejection('ci.yml')])
    expect(bogus.code).toBe(0)
  })

  it('takes the ledger as history only: a forged "promoted" line does not make a rollback target', async () => {
    const forged = `${JSON.stringify(entry({ environment: 'prd', action: 'promote', digest: digestOf('f'), commit: MAIN_COMMIT }))}\n`
    const { code, verdict } = await check([provenance(), verification()], { ledger: forged })
    expect(code).toBe(0)
    expect(verdict.rollbackTo).toBeUndefined()
    expect(verdict.noRollback).toContain(`${digestOf('f')} (no trusted ACC verification)`)
  })
})
