import { readFederationProfile } from '@ebox/contract'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import {
  type EboxPreferencesStandIn,
  type MintClaims,
  startRegistryFederation,
  startTokenIssuer,
  type TokenIssuer,
} from '@ebox/token-issuer'
import { type App, buildApp } from '../../src/app.ts'
import { createVerifier } from '../../src/auth/create-verifier.ts'
import { type Config, loadConfig } from '../../src/config.ts'
import { createPool, type Pool } from '../../src/db/pool.ts'
import { type PartitionServiceStub, startPartitionServiceStub } from './partition-service-stub.ts'

export const AUDIENCE = 'https://registry.test.example'
/** The registry's own OAuth client at the local issuer (introspection, Partition service). */
export const DP_CLIENT_ID = 'ebox-dp-test'

export type OAuthMode = 'jwt' | 'introspection'
export const OAUTH_MODES: readonly OAuthMode[] = ['jwt', 'introspection']

export interface TestRegistry {
  app: App
  pool: Pool
  issuer: TokenIssuer
  /** The stand-in Partition service the registry is configured with. */
  partitions: PartitionServiceStub
  /** The stand-in e-Box Preferences (REGISTERED_EBOXES exist; every enterprise is active unless told). */
  preferences: EboxPreferencesStandIn
  oauthMode: OAuthMode
  database: IsolatedDatabase
  config: Config
  /** A token from the local issuer; `cbe` defaults to the demo enterprise. */
  token(claims: Partial<MintClaims> & { scopes: MintClaims['scopes'] }): Promise<string>
  close(): Promise<void>
}

/**
 * e-Boxes that exist at the test registry's e-Box Preferences: the demo and publication tests' senders and
 * recipients (test/support/publication.ts), except the ones tests use as "no e-Box yet" (NEW_ENTERPRISE,
 * 0800002352). A test changes the stand-in through `registry.preferences`.
 */
export const REGISTERED_EBOXES = {
  enterprises: ['0406798006', '0206731645', '0474028805'],
  citizens: ['79072300048'],
}

/**
 * The registry as the outside sees it: a migrated database of its own (copied from the run's template),
 * a local token issuer, and the app built exactly as `serve` builds it. Call `app.ready()` before inject when
 * a test adds its own routes. `oauthMode` picks the token verifier (default: TEST_OAUTH_MODE, else jwt); the
 * registry's own client is registered at the issuer in both modes (it also calls the Partition service stub).
 * Rate limits are lifted unless `env` sets them.
 */
export async function startTestRegistry(
  env: Record<string, string> = {},
  options: {
    oauthMode?: OAuthMode
    /** More environment computed from the running issuer (e.g. URLs of a proxy in front of it). */
    envFromIssuer?: (issuer: TokenIssuer) => Promise<Record<string, string>>
  } = {},
): Promise<TestRegistry> {
  const oauthMode =
    options.oauthMode ?? (process.env.TEST_OAUTH_MODE === 'introspection' ? 'introspection' : 'jwt')
  const database = await createIsolatedDatabase(testAdminUrl(), {
    template: process.env.TEST_TEMPLATE_DATABASE,
  })
  // The stand-ins speak the federation profile the registry is given (FEDERATION_* in `env`).
  const { profile } = readFederationProfile((name) => env[name])
  const issuer = await startTokenIssuer({ audience: AUDIENCE, ssinClaim: profile.citizenSsinClaim })
  const { preferences, env: federationEnv } = await startRegistryFederation(issuer, {
    clientId: DP_CLIENT_ID,
    paths: profile.paths,
    scopes: profile.scopes,
    ...REGISTERED_EBOXES,
  })
  const partitions = await startPartitionServiceStub((token) => issuer.introspect(token).active)
  const config = loadConfig({
    DATABASE_URL: database.url,
    EBOX_ENVIRONMENT: 'test',
    LOG_LEVEL: 'silent',
    OAUTH_MODE: oauthMode,
    OAUTH_ISSUER: issuer.issuer,
    OAUTH_AUDIENCE: AUDIENCE,
    OAUTH_JWKS_URL: issuer.jwksUrl,
    OAUTH_TOKEN_URL: issuer.tokenUrl,
    OAUTH_INTROSPECTION_URL: issuer.introspectionUrl,
    ...federationEnv,
    PARTITION_SERVICE_URL: partitions.url,
    CERTIFICATION_RESET_ENABLED: 'true',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_CALLER: '1000000',
    RATE_LIMIT_PER_CLIENT: '1000000',
    ...contentStoreTestEnv(database.name),
    ...env,
    ...(await options.envFromIssuer?.(issuer)),
  })
  const pool = createPool({
    connectionString: config.databaseUrl,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
  })
  // A build that fails (a test about start-up refusals) must not leave the database and servers behind.
  const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false }).catch(
    async (error: unknown) => {
      await pool.end()
      await issuer.close()
      await partitions.close()
      await database.drop()
      throw error
    },
  )
  return {
    app,
    pool,
    issuer,
    partitions,
    preferences,
    oauthMode,
    database,
    config,
    token: (claims) => issuer.mint({ cbe: '0406798006', ...claims }),
    async close() {
      await app.close()
      await pool.end()
      await issuer.close()
      await partitions.close()
      await preferences.close()
      await database.drop()
    },
  }
}

/**
 * CONTENT_STORE for this run: the `s3` project of vitest.config.ts sets TEST_CONTENT_STORE=s3 and the files it
 * runs store attachments in the run's S3 emulator (test/global-setup.ts), under a prefix per database.
 */
export function contentStoreTestEnv(databaseName: string): Record<string, string> {
  if (process.env.TEST_CONTENT_STORE !== 's3') return {}
  return objectStoreTestEnv(databaseName, 's3')
}

/** The S3_* variables of the run's emulator, with `prefix` apart from every other database's objects. */
export function objectStoreTestEnv(prefix: string, store: 'postgres' | 's3'): Record<string, string> {
  const { TEST_S3_ENDPOINT, TEST_S3_BUCKET } = process.env
  if (!TEST_S3_ENDPOINT || !TEST_S3_BUCKET)
    throw new Error('no S3 emulator: test/global-setup.ts did not run')
  return {
    CONTENT_STORE: store,
    S3_ENDPOINT: TEST_S3_ENDPOINT,
    S3_BUCKET: TEST_S3_BUCKET,
    S3_PREFIX: `${prefix}/`,
    S3_FORCE_PATH_STYLE: 'true',
    S3_REGION: 'us-east-1',
    S3_TIMEOUT_MS: '3000',
  }
}
