/**
 * `pnpm --filter @ebox/bench object-store [--smoke] [--duration S] [--warmup S] [--modes jwt]`
 *
 * The content scenarios of issue 17 (download 1 MB, 50 MB ×4, publication 1 MB) with CONTENT_STORE=s3, and the
 * file-stream and framework ceilings in the same run. The bucket is s3rver, an S3 EMULATOR running on the same
 * cores as the registry, PostgreSQL and the load generator: its figures bound what the code does with a store,
 * not what AWS S3, Ceph RGW or MinIO would give. The data set is reduced (the smoke data set's messages) with the
 * full download sizes (1 MB and 50 MB; --smoke: 64 KiB and 1 MiB); its contents are moved to the bucket by
 * `registry content migrate --to s3`'s code, the emulator's files kept under .data/bench-s3 between runs.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { EMULATOR_CREDENTIALS, startS3Emulator } from '@ebox/dev-s3'
import { migrateContents, ObjectStore, readConfiguration, readContentStoreConfig } from '@ebox/registry'
import pg from 'pg'
import { openBenchDatabase, repositoryRoot, storedSpec, withClient } from './database.ts'
import { type DatasetSpec, downloadContent, FULL_SPEC, generateDataset, SMOKE_SPEC } from './generate.ts'
import { type Measurement, runDownloadLoad } from './load.ts'
import { describeMachine, markdownReport } from './report.ts'
import { type BenchReport, runBenchmarks } from './run.ts'
import type { OAuthMode } from './service/registry-process.ts'

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    modes: { type: 'string', default: 'jwt' },
  },
})
const log = (line: string) => console.log(line)
const SCENARIOS = ['content-1mb', 'content-50mb', 'publication-1mb']
const durationSeconds = Number(values.duration ?? (values.smoke ? 1 : 10))
const warmupSeconds = Number(values.warmup ?? (values.smoke ? 0 : 3))

async function main() {
  const name = values.smoke ? 'ebox_bench_s3_smoke' : 'ebox_bench_s3'
  const database = await openBenchDatabase({ name, log })
  const emulator = await startS3Emulator(0, join(repositoryRoot, '.data', 'bench-s3'))
  // The SDK's default chain finds the emulator's key pair here, in this process and in the registry's.
  Object.assign(process.env, EMULATOR_CREDENTIALS)
  const s3Env = {
    CONTENT_STORE: 's3',
    S3_ENDPOINT: emulator.endpoint,
    S3_BUCKET: emulator.bucket,
    S3_FORCE_PATH_STYLE: 'true',
    S3_PREFIX: name,
    S3_REGION: 'us-east-1',
  }
  try {
    const existing = await storedSpec(database.url)
    const spec: DatasetSpec = {
      ...SMOKE_SPEC,
      downloadBytes: values.smoke ? SMOKE_SPEC.downloadBytes : FULL_SPEC.downloadBytes,
      now: existing?.now ?? new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
    }
    const dataset = await generateDataset(database.url, spec, log)

    const objects = new ObjectStore(readConfiguration(s3Env, readContentStoreConfig).s3!)
    const pool = new pg.Pool({ connectionString: database.url, max: 3 })
    const postgresVersion = await withClient(database.url, async (c) => {
      const { rows } = await c.query<{ server_version: string }>('SHOW server_version')
      return rows[0]?.server_version ?? 'unknown'
    })
    const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-content-stores`
    const resultsDir = join(repositoryRoot, 'bench', 'results')
    const command = `pnpm --filter @ebox/bench object-store ${process.argv.slice(2).join(' ')}`.trim()
    const sections: string[] = []
    const reports: Record<string, BenchReport> = {}
    let storeDirect: Map<string, Measurement> = new Map()
    try {
      // The same contents, moved between the stores by the migration's code (verified both ways), each store
      // measured with its own ceilings in this run.
      for (const store of ['postgres', 's3'] as const) {
        const moved = await migrateContents(pool, objects, store, log)
        if (moved.mismatched.length > 0) throw new Error(`contents that do not verify: ${moved.mismatched}`)
        log(`CONTENT_STORE=${store}`)
        const report = await runBenchmarks({
          databaseUrl: database.url,
          dataset,
          durationSeconds,
          warmupSeconds,
          modes: values.modes.split(',').map((m) => m.trim()) as OAuthMode[],
          only: SCENARIOS,
          workDir: join(resultsDir, stamp, store),
          // S3_BUCKET stays set with postgres: the API then reads each row's store, as in production.
          registryEnv: { ...s3Env, CONTENT_STORE: store },
          log,
        })
        report.machine = {
          ...describeMachine(postgresVersion),
          'content store': store === 's3' ? 's3 — s3rver 3.7.1, an emulator on the same cores' : 'postgres',
        }
        if (store === 's3') {
          storeDirect = await measureStoreDirect(objects, emulator.endpoint, spec)
        }
        reports[store] = report
        sections.push(`### CONTENT_STORE=${store}\n\n${markdownReport(report, command)}`)
      }
    } finally {
      await pool.end()
      objects.close()
    }
    const markdown = [`## Content stores (${command})`, summary(reports, storeDirect), ...sections].join(
      '\n\n',
    )
    mkdirSync(resultsDir, { recursive: true })
    writeFileSync(join(resultsDir, `${stamp}.json`), JSON.stringify(reports, null, 1))
    writeFileSync(join(resultsDir, `${stamp}.md`), markdown)
    console.log(`\n${markdown}\n\nwritten: bench/results/${stamp}.md and .json`)
  } finally {
    await emulator.stop()
    await database.stop()
  }
}

/**
 * The store's own ceiling: the same downloads straight from the emulator (its HTTP server reading the object from
 * disk), at the same concurrency, with no registry in between — what the registry could give at best on this
 * machine, since every byte it serves first comes out of that server on the same cores.
 */
async function measureStoreDirect(
  objects: ObjectStore,
  endpoint: string,
  spec: DatasetSpec,
): Promise<Map<string, Measurement>> {
  const results = new Map<string, Measurement>()
  const downloads = [
    { id: 'content-1mb', index: 0 as const, connections: 8 },
    { id: 'content-50mb', index: 1 as const, connections: 4 },
  ]
  for (const { id, index, connections } of downloads) {
    const digest = createHash('sha256').update(downloadContent(spec, index)).digest('base64url')
    const load = {
      url: endpoint,
      requests: [{ method: 'GET' as const, path: `/${objects.config.bucket}/${objects.digestKey(digest)}` }],
      connections,
    }
    if (warmupSeconds > 0) await runDownloadLoad({ ...load, durationSeconds: warmupSeconds })
    results.set(id, await runDownloadLoad({ ...load, durationSeconds }))
  }
  return results
}

/**
 * The targets of issue 17: 50 MB downloads at ≥ 70 % of the file-stream ceiling, RSS growth ≤ 64 MB; beside
 * them, the object store's own ceiling and what share of it the registry keeps.
 */
function summary(reports: Record<string, BenchReport>, storeDirect: Map<string, Measurement>): string {
  const lines = [
    '| Store | Scenario | req/s | MB/s | file-stream ceiling req/s | service / file | store-direct req/s | service / store | peak RSS growth MB |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|',
  ]
  const percent = (a: number, b: number | undefined) => (b ? `${Math.round((100 * a) / b)} %` : '–')
  for (const [store, report] of Object.entries(reports)) {
    for (const result of report.results) {
      const direct = store === 's3' ? storeDirect.get(result.id) : undefined
      for (const service of result.service) {
        const growth = (service.peakRssBytes - service.rssBeforeBytes) / 1024 / 1024
        lines.push(
          `| ${store} | ${result.title} | ${service.requestsPerSecond.toFixed(1)} | ${((service.bytesPerSecond ?? 0) / 1024 / 1024).toFixed(1)} | ${result.file?.requestsPerSecond.toFixed(1) ?? '–'} | ${percent(service.requestsPerSecond, result.file?.requestsPerSecond)} | ${direct?.requestsPerSecond.toFixed(1) ?? '–'} | ${percent(service.requestsPerSecond, direct?.requestsPerSecond)} | ${growth.toFixed(0)} |`,
        )
      }
    }
  }
  return lines.join('\n')
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
