import { createIsolatedDatabase, provideTestServer, testAdminUrl } from '@ebox/dev-postgres'
import { migrateUp } from '../src/db/migrate.ts'

/**
 * One PostgreSQL server for the run (DATABASE_URL or embedded) and one migrated template database; each test
 * file copies the template into a database of its own (test/support/registry.ts).
 */
export default async function setup() {
  const stopServer = await provideTestServer()
  const template = await createIsolatedDatabase(testAdminUrl(), { prefix: 'registry_template' })
  await migrateUp(template.url)
  process.env.TEST_TEMPLATE_DATABASE = template.name
  return async () => {
    await template.drop()
    await stopServer()
  }
}
