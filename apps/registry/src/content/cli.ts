import { readDatabaseUrl } from '../config/common.ts'
import { type Env, readConfiguration } from '../config/reader.ts'
import { createPool } from '../db/pool.ts'
import { type ObjectStoreConfig, readContentStoreConfig } from './config.ts'
import { migrateContents } from './migrate-content.ts'
import { ObjectStore } from './object-store.ts'

const USAGE = 'usage: registry content migrate --to s3|postgres'

/** DATABASE_URL and the S3_* variables as the service reads them; the bucket is required here. */
export function loadContentCommandConfig(env: Env = process.env) {
  return readConfiguration(env, (read) => {
    const databaseUrl = readDatabaseUrl(read)
    const { s3 } = readContentStoreConfig(read)
    if (!s3 && !read.problems.some((problem) => problem.startsWith('S3_BUCKET'))) {
      read.problems.push('S3_BUCKET is required to migrate contents')
    }
    return { databaseUrl, s3: s3 as ObjectStoreConfig }
  })
}

/**
 * `registry content migrate --to s3|postgres` (docs/operations.md): DATABASE_URL and the S3_* variables as the
 * service reads them. Exit code 0 when every content is in the target store, 1 when some did not verify.
 */
export async function contentCommand(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  log: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const [verb, flag, to] = args
  if (verb !== 'migrate' || flag !== '--to' || (to !== 's3' && to !== 'postgres') || args.length !== 3) {
    console.error(USAGE)
    return 2
  }
  const { databaseUrl, s3 } = loadContentCommandConfig(env)
  // Long statements are expected (a 100 MiB content's chunks); one connection reads while another writes.
  const pool = createPool({ connectionString: databaseUrl, max: 3, statementTimeoutMs: 600_000 })
  const objects = new ObjectStore(s3)
  try {
    const report = await migrateContents(pool, objects, to, log)
    if (report.mismatched.length > 0) {
      log(`contents whose bytes do not match their digest (left unchanged): ${report.mismatched.join(', ')}`)
      return 1
    }
    return 0
  } finally {
    objects.close()
    await pool.end()
  }
}
