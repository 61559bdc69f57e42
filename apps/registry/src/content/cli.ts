import { ConfigError, Reader } from '../config.ts'
import { createPool } from '../db/pool.ts'
import { readContentStoreConfig } from './config.ts'
import { migrateContents } from './migrate-content.ts'
import { ObjectStore } from './object-store.ts'

const USAGE = 'usage: registry content migrate --to s3|postgres'

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
  const read = new Reader(env)
  const databaseUrl = read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:'])
  const { s3 } = readContentStoreConfig(read, env)
  if (!s3 && !read.problems.some((problem) => problem.startsWith('S3_BUCKET'))) {
    read.problems.push('S3_BUCKET is required to migrate contents')
  }
  if (read.problems.length > 0 || !s3) throw new ConfigError(read.problems)
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
