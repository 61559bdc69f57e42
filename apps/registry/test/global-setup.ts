import { createIsolatedDatabase, provideTestServer, testAdminUrl } from '@ebox/dev-postgres'
import { EMULATOR_CREDENTIALS, startS3Emulator } from '@ebox/dev-s3'
import { migrateUp } from '../src/db/migrate.ts'

/**
 * One PostgreSQL server for the run (DATABASE_URL or embedded) and one migrated template database; each test
 * file copies the template into a database of its own (test/support/registry.ts). One S3 emulator too, for the
 * files that run with CONTENT_STORE=s3 (the `s3` project of vitest.config.ts) and the object-store tests; each
 * test database keeps its objects under a prefix of its own.
 * Both projects name this file: the second call finds the first one's set-up and reuses it.
 */
export default async function setup() {
  if (process.env.TEST_TEMPLATE_DATABASE) return
  const stopServer = await provideTestServer()
  const template = await createIsolatedDatabase(testAdminUrl(), { prefix: 'registry_template' })
  await migrateUp(template.url)
  const s3 = await startS3Emulator()
  process.env.TEST_TEMPLATE_DATABASE = template.name
  process.env.TEST_S3_ENDPOINT = s3.endpoint
  process.env.TEST_S3_BUCKET = s3.bucket
  Object.assign(process.env, EMULATOR_CREDENTIALS)
  return async () => {
    await s3.close()
    await template.drop()
    await stopServer()
  }
}
