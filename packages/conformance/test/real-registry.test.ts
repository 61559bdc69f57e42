/**
 * The suite against the real Message Registry, started here as `serve` starts it (its own migrated database,
 * the local token issuer, a real port), in both token verifier modes and both profiles.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import {
  createIsolatedDatabase,
  type IsolatedDatabase,
  provideTestServer,
  testAdminUrl,
} from '@ebox/dev-postgres'
import { buildApp, createPool, createVerifier, loadConfig, migrateUp } from '@ebox/registry'
import { INTROSPECT_SCOPE, startTokenIssuer, type TokenIssuer } from '@ebox/token-issuer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../src/cli.ts'
import { demoExpectations } from '../src/data-sets.ts'
import { runConformance } from '../src/runner.ts'
import type { TokenSource } from '../src/tokens.ts'
import type { Profile, Report, Role } from '../src/types.ts'

const AUDIENCE = 'https://registry.conformance.example'
const DP_CLIENT_ID = 'ebox-dp-conformance'

/** Both token verifiers of the registry: local JWT checks against the JWKS, and RFC 7662 introspection. */
const MODES = ['jwt', 'introspection'] as const

interface RunningRegistry {
  baseUrl: string
  issuer: TokenIssuer
  close(): Promise<void>
}

async function startRegistry(mode: 'jwt' | 'introspection', template: string): Promise<RunningRegistry> {
  const database: IsolatedDatabase = await createIsolatedDatabase(testAdminUrl(), { template })
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  await issuer.registerClient(DP_CLIENT_ID, publicKey, { scopes: [INTROSPECT_SCOPE] })
  const config = loadConfig({
    DATABASE_URL: database.url,
    EBOX_ENVIRONMENT: 'test',
    LOG_LEVEL: 'silent',
    OAUTH_MODE: mode,
    OAUTH_ISSUER: issuer.issuer,
    OAUTH_AUDIENCE: AUDIENCE,
    OAUTH_JWKS_URL: issuer.jwksUrl,
    OAUTH_TOKEN_URL: issuer.tokenUrl,
    OAUTH_INTROSPECTION_URL: issuer.introspectionUrl,
    OAUTH_CLIENT_ID: DP_CLIENT_ID,
    OAUTH_CLIENT_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CORS_ORIGINS: 'https://wwwacc.eboxenterprise.be',
    CERTIFICATION_RESET_ENABLED: 'true',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_CALLER: '1000000',
    RATE_LIMIT_PER_CLIENT: '1000000',
    HOST: '127.0.0.1',
    PORT: '0',
  })
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
  })
  const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    issuer,
    async close() {
      await app.close()
      await pool.end()
      await issuer.close()
      await database.drop()
    },
  }
}

function tokensOf(issuer: TokenIssuer): Record<Role, TokenSource> {
  const mint = (scopes: string[], cbe?: string): TokenSource => ({
    kind: 'function',
    get: () => issuer.mint({ scopes, clientId: 'ebox-conformance', ...(cbe ? { cbe } : {}) }),
  })
  return {
    consultation: mint([SCOPES.documentConsumer], DEMO.enterprise),
    referenceData: mint([SCOPES.referenceData], DEMO.enterprise),
    publication: mint([SCOPES.publicationSender], DEMO.enterprise),
    certification: mint([SCOPES.certification]),
    otherEbox: mint([SCOPES.documentConsumer], DEMO.secondEnterprise),
    insufficientScope: mint([SCOPES.referenceData], DEMO.enterprise),
  }
}

/** Checks the demo data set cannot exercise in the prod profile (which reads only already read messages). */
const PROD_SKIPS = new Set(['content.body'])

function problems(report: Report): string {
  return report.checks
    .filter(
      (check) =>
        check.status !== 'passed' &&
        !(report.profile === 'prod' && check.status === 'skipped' && PROD_SKIPS.has(check.id)),
    )
    .map(
      (check) =>
        `${check.id}: ${check.status}: ${check.message}\n  ${JSON.stringify(check.evidence.at(-1) ?? {})}`,
    )
    .join('\n')
}

let stopServer: () => Promise<void>
let template: IsolatedDatabase

beforeAll(async () => {
  stopServer = await provideTestServer()
  template = await createIsolatedDatabase(testAdminUrl(), { prefix: 'conformance_template' })
  await migrateUp(template.url)
})
afterAll(async () => {
  await template?.drop()
  await stopServer?.()
})

describe.each(MODES)('the real registry with OAUTH_MODE=%s', (mode) => {
  let registry: RunningRegistry

  beforeAll(async () => {
    registry = await startRegistry(mode, template.name)
  })
  afterAll(async () => {
    await registry?.close()
  })

  const run = (profile: Profile) =>
    runConformance({
      baseUrl: registry.baseUrl,
      profile,
      tokens: tokensOf(registry.issuer),
      expectations: profile === 'certification' ? demoExpectations() : undefined,
    })

  it('passes every check of the certification profile (reset, demo data set, read marking)', async () => {
    const report = await run('certification')
    expect(problems(report)).toBe('')
    expect(report.summary.ok).toBe(true)
  })

  it('passes every check of the prod profile, and leaves the data as it was', async () => {
    // The certification run above (or this reset) loaded the demo data set; prod only reads it.
    const certification = await registry.issuer.mint({ scopes: [SCOPES.certification] })
    const reset = await fetch(`${registry.baseUrl}/certification/resetDataSet`, {
      method: 'POST',
      headers: { authorization: `Bearer ${certification}` },
    })
    expect(reset.status).toBe(204)
    const consultation = await registry.issuer.mint({
      scopes: [SCOPES.documentConsumer],
      cbe: DEMO.enterprise,
    })
    const unread = async () => {
      const response = await fetch(`${registry.baseUrl}/ebox/messages?readStatus=false&pageSize=1`, {
        headers: { authorization: `Bearer ${consultation}` },
      })
      return ((await response.json()) as { totalItems: number }).totalItems
    }
    const before = await unread()
    const report = await run('prod')
    expect(problems(report)).toBe('')
    expect(report.summary.ok).toBe(true)
    expect(await unread()).toBe(before)
  })

  it('passes through the CLI with tokens from the local issuer (certification profile, reports written)', async () => {
    const reportDir = mkdtempSync(join(tmpdir(), 'ebox-conformance-real-'))
    try {
      let out = ''
      const io = {
        stdout: (text: string) => {
          out += text
        },
        stderr: (text: string) => {
          out += text
        },
        env: {},
      }
      const args = ['--base-url', registry.baseUrl, '--profile', 'certification', '--report-dir', reportDir]
      const local = [
        '--local-issuer',
        registry.issuer.url,
        '--cbe',
        DEMO.enterprise,
        '--other-cbe',
        DEMO.secondEnterprise,
      ]
      expect(await runCli([...args, ...local], io), out).toBe(0)
      expect(out).toMatch(/data set @ebox\/demo-data/)
      const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as Report
      expect(report.summary).toMatchObject({ failed: 0, skipped: 0, ok: true })
    } finally {
      rmSync(reportDir, { recursive: true, force: true })
    }
  })
})
