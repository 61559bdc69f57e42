import type { AddressInfo } from 'node:net'
import { DEFAULT_FEDERATION_PROFILE as profile } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { createIsolatedDatabase, provideTestServer, testAdminUrl } from '@ebox/dev-postgres'
import { buildApp, createPool, createVerifier, loadConfig, migrateUp, seedDemoDataSet } from '@ebox/registry'
import { startRegistryFederation, startTokenIssuer, type TokenIssuer } from '@ebox/token-issuer'
import { eboxOfMessage, mintRoleTokens, type RoleTokens } from './roles.ts'

const AUDIENCE = 'https://registry.fuzz.example'
/** The service's request timeout during a run (its minimum): every answer must come before it. */
export const REQUEST_TIMEOUT_MS = 10_000

/** The registry under test, listening on loopback, with what the oracles need to look at afterwards. */
export interface FuzzTarget {
  url: string
  databaseUrl: string
  tokens: RoleTokens
  issuer: TokenIssuer
  /** The demo data set's messages when the run started: message id → its e-Box (see roles.ts). */
  demoMessages: ReadonlyMap<string, string>
  close(): Promise<void>
}

/**
 * A fresh database (copied from nothing: migrated here) on the server DATABASE_URL names, or on an embedded
 * PostgreSQL started for the run; the demo data set; the local token issuer (JWT mode); the registry built through
 * its package's exports exactly as `serve` builds it, on a real port so that raw bytes reach Node's HTTP parser.
 * Rate limits are lifted (the fuzzer is one client sending as fast as it can).
 */
export async function startFuzzTarget(): Promise<FuzzTarget> {
  const stopServer = await provideTestServer()
  const database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'fuzz' })
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  // Publication asks e-Box Preferences about the recipient (503 without it): the demo e-Boxes exist there.
  const federation = await startRegistryFederation(issuer, {
    clientId: 'ebox-dp-fuzz',
    paths: profile.paths,
    scopes: profile.scopes,
    enterprises: [DEMO.enterprise, DEMO.secondEnterprise],
    citizens: [DEMO.citizenSsin],
  })
  try {
    await migrateUp(database.url)
    const config = loadConfig({
      DATABASE_URL: database.url,
      EBOX_ENVIRONMENT: 'test',
      LOG_LEVEL: 'silent',
      OAUTH_MODE: 'jwt',
      OAUTH_ISSUER: issuer.issuer,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_JWKS_URL: issuer.jwksUrl,
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_CLIENT: '1000000',
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      OAUTH_TOKEN_URL: issuer.tokenUrl,
      ...federation.env,
    })
    const pool = createPool({
      connectionString: config.databaseUrl,
      max: config.db.poolMax,
      statementTimeoutMs: config.db.statementTimeoutMs,
    })
    const set = await seedDemoDataSet(pool)
    const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    return {
      url: `http://127.0.0.1:${port}`,
      databaseUrl: database.url,
      tokens: await mintRoleTokens(issuer),
      issuer,
      demoMessages: new Map(set.messages.map((message) => [message.messageId, eboxOfMessage(message)])),
      async close() {
        await app.close()
        await pool.end()
        await federation.preferences.close()
        await issuer.close()
        await database.drop()
        await stopServer()
      },
    }
  } catch (error) {
    await federation.preferences.close()
    await issuer.close()
    await database.drop()
    await stopServer()
    throw error
  }
}
