import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedPostgres } from './embedded.ts'

const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * For vitest globalSetup: the PostgreSQL server the tests use. `DATABASE_URL` names one; without it an
 * embedded server starts for this run and is removed at the end. Exposes the admin URL as TEST_DATABASE_ADMIN_URL.
 */
export async function provideTestServer(): Promise<() => Promise<void>> {
  const configured = process.env.DATABASE_URL
  if (configured) {
    process.env.TEST_DATABASE_ADMIN_URL = configured
    return async () => {}
  }
  const server = await startEmbeddedPostgres({
    dataDir: join(repositoryRoot, '.data', `test-pg-${process.pid}-${Date.now()}`),
    persistent: false,
  })
  process.env.TEST_DATABASE_ADMIN_URL = server.url
  return () => server.stop()
}

export function testAdminUrl(): string {
  const url = process.env.TEST_DATABASE_ADMIN_URL ?? process.env.DATABASE_URL
  if (!url)
    throw new Error('no test database server: add @ebox/dev-postgres provideTestServer to globalSetup')
  return url
}
