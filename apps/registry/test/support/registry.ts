import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import { type MintClaims, startTokenIssuer, type TokenIssuer } from '@ebox/token-issuer'
import { type App, buildApp } from '../../src/app.ts'
import { createVerifier } from '../../src/auth/create-verifier.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { createPool, type Pool } from '../../src/db/pool.ts'

export const AUDIENCE = 'https://registry.test.example'

export interface TestRegistry {
  app: App
  pool: Pool
  issuer: TokenIssuer
  database: IsolatedDatabase
  config: Config
  /** A token from the local issuer; `cbe` defaults to the demo enterprise. */
  token(claims: Partial<MintClaims> & { scopes: MintClaims['scopes'] }): Promise<string>
  close(): Promise<void>
}

/**
 * The registry as the outside sees it: a migrated database of its own (copied from the run's template),
 * a local token issuer, and the app built exactly as `serve` builds it. Call `app.ready()` before inject when
 * a test adds its own routes.
 */
export async function startTestRegistry(env: Record<string, string> = {}): Promise<TestRegistry> {
  const database = await createIsolatedDatabase(testAdminUrl(), {
    template: process.env.TEST_TEMPLATE_DATABASE,
  })
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  const config = loadConfig({
    DATABASE_URL: database.url,
    EBOX_ENVIRONMENT: 'test',
    LOG_LEVEL: 'silent',
    OAUTH_ISSUER: issuer.issuer,
    OAUTH_AUDIENCE: AUDIENCE,
    OAUTH_JWKS_URL: issuer.jwksUrl,
    ...env,
  })
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
  })
  const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false })
  return {
    app,
    pool,
    issuer,
    database,
    config,
    token: (claims) => issuer.mint({ cbe: '0406798006', ...claims }),
    async close() {
      await app.close()
      await pool.end()
      await issuer.close()
      await database.drop()
    },
  }
}
