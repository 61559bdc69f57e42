/**
 * Writes the OpenAPI document the service serves at /openapi.json to `openapi.json` (checked in; the drift test in
 * test/openapi.test.ts fails when the routes change and the file does not). The app is built as `serve` builds it,
 * never listens and never needs a database: the document comes from the route schemas alone.
 *   pnpm --filter @ebox/registry openapi:write
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { buildApp } from './src/app.ts'
import { createVerifier } from './src/auth/create-verifier.ts'
import { loadConfig } from './src/config.ts'
import { createPool } from './src/db/pool.ts'

export const OPENAPI_FILE = fileURLToPath(new URL('./openapi.json', import.meta.url))

/** The document as served, in the checked-in file's form (2-space JSON, final newline). */
export function formatOpenApi(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`
}

async function main() {
  // Placeholders: nothing below is called while the document is built (no request, no connection is used).
  const config = loadConfig({
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/openapi',
    EBOX_ENVIRONMENT: 'development',
    LOG_LEVEL: 'silent',
    OAUTH_MODE: 'jwt',
    OAUTH_ISSUER: 'https://issuer.invalid',
    OAUTH_AUDIENCE: 'https://registry.invalid',
    OAUTH_JWKS_URL: 'https://issuer.invalid/jwks',
  })
  const pool = createPool({ connectionString: config.databaseUrl, max: 1, statementTimeoutMs: 1000 })
  const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false })
  try {
    await app.ready()
    await writeFile(OPENAPI_FILE, formatOpenApi(app.swagger()))
  } finally {
    await app.close()
    await pool.end()
  }
  console.log(`wrote ${OPENAPI_FILE}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
