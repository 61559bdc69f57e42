/**
 * Quickstart (`pnpm start` at the repository root): a real PostgreSQL (embedded unless DATABASE_URL is set),
 * migrations, the local token issuer and the registry, then a ready-to-use token and a curl example.
 * Development only: the token issuer refuses to run with NODE_ENV=production.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { startEmbeddedPostgres } from '@ebox/dev-postgres'
import { createClientCredentials, INTROSPECT_SCOPE, startTokenIssuer } from '@ebox/token-issuer'
import { exportPKCS8 } from 'jose'
import { loadConfig } from '../src/config.ts'
import { migrateUp } from '../src/db/migrate.ts'
import { createPool } from '../src/db/pool.ts'
import { demoEboxIsEmpty, seedDemoDataSet } from '../src/demo/seed.ts'
import { serve } from '../src/server.ts'

const DEMO_ENTERPRISE = DEMO.enterprise
const DP_CLIENT_ID = 'ebox-dp-quickstart'
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url))

async function main() {
  let databaseUrl = process.env.DATABASE_URL
  if (!databaseUrl) {
    const dataDir = join(repositoryRoot, '.data', 'quickstart-pg')
    console.log(`starting embedded PostgreSQL in ${dataDir} …`)
    const postgres = await startEmbeddedPostgres({
      dataDir,
      port: Number(process.env.PGPORT ?? 54329),
      persistent: true,
    })
    databaseUrl = postgres.url
    process.once('exit', () => void postgres.stop())
  }
  await migrateUp(databaseUrl)
  await seedWhenEmpty(databaseUrl)

  const audience = process.env.OAUTH_AUDIENCE ?? 'ebox-document-provider'
  const issuer = await startTokenIssuer({ port: Number(process.env.ISSUER_PORT ?? 9400), audience })
  // The registry's own OAuth client at the local issuer: it introspects callers' tokens, as against OAuth v5.
  const dpClient = await createClientCredentials(DP_CLIENT_ID)
  await issuer.registerClient(DP_CLIENT_ID, dpClient.publicJwk, { scopes: [INTROSPECT_SCOPE] })
  const config = loadConfig({
    OAUTH_MODE: 'introspection',
    OAUTH_ISSUER: issuer.issuer,
    OAUTH_AUDIENCE: audience,
    OAUTH_JWKS_URL: issuer.jwksUrl,
    OAUTH_TOKEN_URL: issuer.tokenUrl,
    OAUTH_INTROSPECTION_URL: issuer.introspectionUrl,
    OAUTH_CLIENT_ID: DP_CLIENT_ID,
    OAUTH_CLIENT_KEY: await exportPKCS8(dpClient.privateKey),
    GIT_COMMIT: gitCommit(),
    // Development: the conformance suite resets the demo data set.
    CERTIFICATION_RESET_ENABLED: 'true',
    ...process.env,
    DATABASE_URL: databaseUrl,
  })
  await serve(config, { onClose: () => issuer.close() })

  const token = await issuer.mint({
    scopes: [SCOPES.documentConsumer, SCOPES.referenceData],
    cbe: DEMO_ENTERPRISE,
    clientId: 'quickstart',
    expiresIn: 12 * 3600,
  })
  const base = `http://${config.host}:${config.port}`
  console.log(`
Message Registry: ${base}   (OpenAPI: ${base}/openapi.json)
Token issuer:     ${issuer.url}   (tokens checked by ${config.oauth.mode})
Token for e-Box ${DEMO_ENTERPRISE} (12 h):

export TOKEN=${token}
curl -s -H "Authorization: Bearer $TOKEN" ${base}/ebox/messages
curl -s -H "Authorization: Bearer $TOKEN" ${base}/ebox/messages/${DEMO.messages.mainPdf}
curl -s -H "Authorization: Bearer $TOKEN" -o demo.pdf ${base}/ebox/messages/${DEMO.messages.mainPdf}/attachments/${DEMO.mainAttachmentId}/content
`)
}

/** Loads the demo data set when the demo e-Box is empty (first start, or after someone emptied it). */
async function seedWhenEmpty(databaseUrl: string) {
  const pool = createPool({ connectionString: databaseUrl, max: 2, statementTimeoutMs: 60_000 })
  try {
    if (await demoEboxIsEmpty(pool)) {
      const set = await seedDemoDataSet(pool)
      console.log(
        `loaded the demo data set (${set.messages.length} messages; restore it with: pnpm --filter @ebox/registry registry seed demo)`,
      )
    }
  } finally {
    await pool.end()
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return 'unknown'
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
