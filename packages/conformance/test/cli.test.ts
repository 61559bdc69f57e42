import { execFile } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCOPES } from '@ebox/contract'
import { startTokenIssuer } from '@ebox/token-issuer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_CHECKS } from '../src/checks/index.ts'
import { type CliIo, runCli } from '../src/cli.ts'
import { runTokenCommand } from '../src/tokens.ts'
import type { Report } from '../src/types.ts'
import { FAKE_TOKENS, type FakeRegistry, startFakeRegistry } from './fake-registry.ts'

const BIN = fileURLToPath(new URL('../bin/ebox-conformance.mjs', import.meta.url))

function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    env,
    stdout: (text: string) => {
      io.out += text
    },
    stderr: (text: string) => {
      io.err += text
    },
  }
  return io
}

/** Every role's token command for the fake registry. */
const TOKEN_ARGS = [
  '--token-command',
  `echo ${FAKE_TOKENS.consultation}`,
  '--referencedata-token-command',
  `echo ${FAKE_TOKENS.referenceData}`,
  '--certification-token-command',
  `echo ${FAKE_TOKENS.certification}`,
  '--publication-token-command',
  `echo ${FAKE_TOKENS.publication}`,
  '--other-ebox-token-command',
  `echo ${FAKE_TOKENS.otherEbox}`,
  '--insufficient-scope-token-command',
  `echo ${FAKE_TOKENS.insufficientScope}`,
]

let registry: FakeRegistry
let dir: string

beforeAll(async () => {
  registry = await startFakeRegistry()
  dir = mkdtempSync(join(tmpdir(), 'ebox-conformance-'))
})
afterAll(async () => {
  await registry.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('ebox-conformance', () => {
  it('passes a sound registry: exit 0, report.json, junit.xml, summary.md and the GitHub job summary', async () => {
    registry.setFaults([])
    const reportDir = join(dir, 'ok')
    const stepSummary = join(dir, 'step-summary.md')
    const io = captureIo({ GITHUB_STEP_SUMMARY: stepSummary, PATH: process.env.PATH })
    const code = await runCli(
      ['--base-url', registry.url, '--profile', 'prod', '--report-dir', reportDir, ...TOKEN_ARGS],
      io,
    )
    expect(io.err).toBe('')
    expect(code).toBe(0)
    expect(io.out).toMatch(/✔ list\.ordering/)
    expect(io.out).toMatch(/PASSED: .* profile prod/)

    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as Report
    expect(report.profile).toBe('prod')
    expect(report.summary).toMatchObject({ failed: 0, mandatoryFailed: 0, ok: true })
    expect(report.registryVersion).toEqual({ version: '0.0.1', apiVersion: '3.5', build: 'fake' })
    for (const check of report.checks) {
      expect(check).toMatchObject({
        id: expect.any(String),
        status: 'passed',
        durationMs: expect.any(Number),
      })
    }
    const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8')
    expect(junit).toMatch(/^<\?xml/)
    expect(junit.match(/<testcase /g)?.length).toBe(report.checks.length)
    const markdown = readFileSync(join(reportDir, 'summary.md'), 'utf8')
    expect(markdown).toMatch(/^## ✅ e-Box conformance — prod profile/)
    expect(readFileSync(stepSummary, 'utf8')).toBe(markdown)
  })

  it('fails a faulty registry: exit 1, and the report holds the request and the offending part of the answer', async () => {
    registry.setFaults(['foreign-message-visible', 'null-items'])
    const reportDir = join(dir, 'faulty')
    const io = captureIo({ PATH: process.env.PATH })
    const code = await runCli(['--base-url', registry.url, '--report-dir', reportDir, ...TOKEN_ARGS], io)
    registry.setFaults([])
    expect(code).toBe(1)
    expect(io.out).toMatch(/✘ isolation\.cross-ebox/)
    expect(io.out).toMatch(/FAILED: /)
    const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as Report
    const empty = report.checks.find((check) => check.id === 'list.empty-result')!
    expect(empty.status).toBe('failed')
    expect(empty.evidence.at(-1)).toMatchObject({
      request: {
        method: 'GET',
        as: 'consultation',
        url: expect.stringContaining('receivedAfter=2060-03-05'),
      },
      response: { status: 200, pointer: '/items', excerpt: null },
    })
    const isolation = report.checks.find((check) => check.id === 'isolation.cross-ebox')!
    expect(isolation.status).toBe('failed')
    expect(JSON.stringify(isolation.evidence)).not.toContain(FAKE_TOKENS.otherEbox)
    const junit = readFileSync(join(reportDir, 'junit.xml'), 'utf8')
    expect(junit).toMatch(/<failure message="[^"]*" type="mandatory">/)
    expect(readFileSync(join(reportDir, 'summary.md'), 'utf8')).toMatch(
      /### Failures[\s\S]*\*\*isolation\.cross-ebox\*\*/,
    )
  })

  it('answers 2 with the usage on bad arguments', async () => {
    for (const args of [
      [],
      ['--base-url', 'ftp://example'],
      ['--base-url', registry.url, '--profile', 'thorough', ...TOKEN_ARGS],
      ['--base-url', registry.url],
      ['--base-url', registry.url, '--unknown'],
      ['--base-url', registry.url, '--only', 'list.shap', ...TOKEN_ARGS],
    ]) {
      const io = captureIo()
      expect(await runCli(args, io)).toBe(2)
      expect(io.err).toMatch(/Usage:/)
    }
  })

  it('fails, and says why, when a token command fails', async () => {
    const io = captureIo({ PATH: process.env.PATH })
    const code = await runCli(
      ['--base-url', registry.url, '--only', 'list.shape', '--token-command', 'echo no token >&2; exit 3'],
      io,
    )
    expect(code).toBe(1)
    expect(io.out).toMatch(/the consultation token command failed \(3\): no token/)
  })

  it('lists every check with its rule', async () => {
    const io = captureIo()
    expect(await runCli(['checks'], io)).toBe(0)
    for (const check of ALL_CHECKS) expect(io.out).toContain(check.id)
    expect(io.out).toMatch(/rule: §5\.1/)
  })

  it('runs from its bin without a build (TypeScript sources through tsx)', async () => {
    registry.setFaults([])
    // Asynchronously: the fake registry answers from this very process.
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [
          BIN,
          '--base-url',
          registry.url,
          '--only',
          'certification.version,list.',
          '--token-command',
          `echo ${FAKE_TOKENS.consultation}`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      )
    })
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/✔ certification\.version/)
    expect(result.stdout).toMatch(/✔ list\.ordering/)
    expect(result.code).toBe(0)
  })
})

describe('token commands', () => {
  it('see their role and its scopes in the environment', async () => {
    const command = 'echo "$EBOX_CONFORMANCE_ROLE:$EBOX_CONFORMANCE_SCOPE" | tr " " "+"'
    expect(await runTokenCommand('insufficientScope', command)).toBe(
      `insufficient-scope:${SCOPES.referenceData}`,
    )
    expect(await runTokenCommand('certification', command)).toBe(`certification:${SCOPES.certification}`)
  })

  it("ask for the certifier's scope of the federation profile (FEDERATION_CERTIFICATION_SCOPE)", async () => {
    const command = 'echo "$EBOX_CONFORMANCE_SCOPE"'
    const env = { ...process.env, FEDERATION_CERTIFICATION_SCOPE: 'scope:golive:certification' }
    expect(await runTokenCommand('certification', command, env)).toBe('scope:golive:certification')
    await expect(
      runTokenCommand('certification', command, { ...env, FEDERATION_CERTIFICATION_SCOPE: 'two words' }),
    ).rejects.toThrow(/FEDERATION_CERTIFICATION_SCOPE/)
  })

  it('must print one token', async () => {
    await expect(runTokenCommand('consultation', 'true')).rejects.toThrow(/printed nothing/)
    await expect(runTokenCommand('consultation', 'echo two words')).rejects.toThrow(/more than one word/)
  })
})

describe('ebox-conformance token (private_key_jwt client credentials)', () => {
  it('prints a token of the scopes of $EBOX_CONFORMANCE_SCOPE', async () => {
    const issuer = await startTokenIssuer()
    try {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
      await issuer.registerClient('conformance-client', publicKey, {
        scopes: [SCOPES.documentConsumer, SCOPES.referenceData],
        cbe: '0406798006',
      })
      const io = captureIo({
        CLIENT_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        EBOX_CONFORMANCE_SCOPE: SCOPES.referenceData,
      })
      const args = [
        'token',
        '--token-url',
        issuer.tokenUrl,
        '--client-id',
        'conformance-client',
        '--key-env',
        'CLIENT_KEY',
      ]
      expect(await runCli(args, io), io.err).toBe(0)
      const introspection = issuer.introspect(io.out.trim())
      expect(introspection).toMatchObject({
        active: true,
        scope: SCOPES.referenceData,
        client_id: 'conformance-client',
      })

      const refused = captureIo({
        CLIENT_KEY: io.env.CLIENT_KEY,
        EBOX_CONFORMANCE_SCOPE: SCOPES.certification,
      })
      expect(await runCli(args, refused)).toBe(1)
      expect(refused.err).toMatch(/answered 400: invalid_scope/)
    } finally {
      await issuer.close()
    }
  })

  it('needs a key', async () => {
    const io = captureIo()
    expect(await runCli(['token', '--token-url', 'http://127.0.0.1:1/token', '--client-id', 'x'], io)).toBe(2)
    expect(existsSync(BIN)).toBe(true)
  })
})

describe('README', () => {
  it('lists every check', () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
    for (const check of ALL_CHECKS) expect(readme).toContain(`| \`${check.id}\` |`)
  })
})
