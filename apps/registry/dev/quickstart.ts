/**
 * Quickstart (`pnpm start` at the repository root): a real PostgreSQL (embedded unless DATABASE_URL is set),
 * migrations, the local token issuer with its e-Box Preferences stand-in, and the registry, then a ready-to-use
 * token and a curl example. The stand-ins speak the federation profile of the environment (FEDERATION_*).
 * Development only: the token issuer refuses to run with NODE_ENV=production.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readFederationProfile, SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { startEmbeddedPostgres } from '@ebox/dev-postgres'
import { startRegistryFederation, startTokenIssuer } from '@ebox/token-issuer'
import { loadConfig } from '../src/config.ts'
import { migrateUp } from '../src/db/migrate.ts'
import { createPool } from '../src/db/pool.ts'
import { demoEboxIsEmpty, seedDemoDataSet } from '../src/demo/seed.ts'
import { serve } from '../src/server.ts'

const DEMO_ENTERPRISE = DEMO.enterprise
const DP_CLIENT_ID = 'ebox-dp-quickstart'
/** A company the e-Box Preferences stand-in reports stopped: publishing to it answers 400 (try it). */
const STOPPED_ENTERPRISE = '0417497106'
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
  const { profile } = readFederationProfile((name) => process.env[name])
  const issuer = await startTokenIssuer({
    port: Number(process.env.ISSUER_PORT ?? 9400),
    audience,
    ssinClaim: profile.citizenSsinClaim,
  })
  // The registry's own OAuth client at the local issuer: it introspects callers' tokens, as against OAuth v5, and
  // asks e-Box Preferences whether recipients have an e-Box. The demo e-Boxes exist; any other recipient has none
  // (NO_DIGITAL_USER); STOPPED_ENTERPRISE has stopped.
  const { preferences, env: federationEnv } = await startRegistryFederation(issuer, {
    clientId: DP_CLIENT_ID,
    paths: profile.paths,
    scopes: profile.scopes,
    enterprises: [DEMO_ENTERPRISE, DEMO.secondEnterprise],
    citizens: [DEMO.citizenSsin],
    stopped: [STOPPED_ENTERPRISE],
  })
  const config = loadConfig({
    OAUTH_MODE: 'introspection',
    OAUTH_ISSUER: issuer.issuer,
    OAUTH_AUDIENCE: audience,
    OAUTH_JWKS_URL: issuer.jwksUrl,
    OAUTH_TOKEN_URL: issuer.tokenUrl,
    OAUTH_INTROSPECTION_URL: issuer.introspectionUrl,
    ...federationEnv,
    GIT_COMMIT: gitCommit(),
    // Development: the conformance suite resets the demo data set.
    CERTIFICATION_RESET_ENABLED: 'true',
    ...process.env,
    DATABASE_URL: databaseUrl,
  })
  await serve(config, {
    onClose: async () => {
      await preferences.close()
      await issuer.close()
    },
  })

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
e-Box Preferences (stand-in): ${preferences.url}   (e-Boxes: ${DEMO_ENTERPRISE}, ${DEMO.secondEnterprise}, citizen ${DEMO.citizenSsin}; stopped: ${STOPPED_ENTERPRISE})
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
