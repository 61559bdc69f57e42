import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BenchSummary, validated } from '@ebox/capacity'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import { migrateUp } from '@ebox/registry'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Dataset, generateDataset, SMOKE_SPEC } from '../src/generate.ts'
import { checkTargets, markdownReport } from '../src/report.ts'
import { type BenchReport, runBenchmarks } from '../src/run.ts'
import { summarise } from '../src/summary.ts'

/**
 * The harness on tiny data, one second per measurement, so that it never rots: every scenario answers without
 * error in both OAuth modes and every ceiling produces numbers. No timing threshold is asserted here (the full
 * run is `pnpm bench`, see BENCHMARKS.md).
 */
let database: IsolatedDatabase
let workDir: string
let dataset: Dataset
let report: BenchReport

beforeAll(async () => {
  database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'bench_smoke' })
  await migrateUp(database.url)
  workDir = mkdtempSync(join(tmpdir(), 'ebox-bench-'))
  dataset = await generateDataset(database.url, {
    ...SMOKE_SPEC,
    now: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
  })
  report = await runBenchmarks({
    databaseUrl: database.url,
    dataset,
    durationSeconds: 1,
    warmupSeconds: 0,
    modes: ['jwt', 'introspection'],
    workDir,
  })
  // A bound, not a speed target: it builds the registry, generates the data and runs every scenario and ceiling,
  // while CI runs the registry's tests on the same two cores.
}, 360_000)

afterAll(async () => {
  await database?.drop()
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

describe('benchmark harness (smoke)', () => {
  it('generates the data set the scenarios need, and finds it again without regenerating', async () => {
    expect(dataset.searchMatches).toBeGreaterThan(0)
    expect(dataset.downloadMessageIds).toHaveLength(2)
    const again = await generateDataset(database.url, dataset.spec)
    expect(again).toEqual(dataset)
  })

  it('runs every scenario against the service in both OAuth modes, without errors', () => {
    expect(report.results.map((r) => r.id)).toEqual([
      'list-page-1',
      'list-page-1-at-400',
      'list-page-1-at-1000',
      'list-deep-page',
      'list-filters',
      'search-fr',
      'search-fr-at-25',
      'message-detail',
      'reference-data',
      'reference-data-304',
      'content-1mb',
      'content-50mb',
      'publication-1mb',
    ])
    for (const result of report.results) {
      expect(
        result.service.map((s) => s.mode),
        result.id,
      ).toEqual(['jwt', 'introspection'])
      for (const service of result.service) {
        expect(service.requests, `${result.id} ${service.mode}`).toBeGreaterThan(0)
        expect(service.errors, `${result.id} ${service.mode}`).toBe(0)
        expect(service.latencyMs.p99).toBeGreaterThan(0)
        expect(service.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024)
        expect(service.serviceCpuMsPerRequest, `${result.id} ${service.mode}`).toBeGreaterThanOrEqual(0)
        expect(service.postgresCpuMsPerRequest, `${result.id} ${service.mode}`).toBeGreaterThanOrEqual(0)
      }
    }
    // CPU is counted in 10 ms ticks: a one-second smoke run of the list spends several.
    const list = report.results.find((r) => r.id === 'list-page-1')!.service[0]!
    expect(list.serviceCpuMsPerRequest).toBeGreaterThan(0)
    expect(list.postgresCpuMsPerRequest).toBeGreaterThan(0)
  })

  it('measures the ceilings in the same run: framework, database, file stream', () => {
    for (const result of report.results) {
      if (result.id.startsWith('reference-data')) {
        // Reference data is answered from the in-process cache: no SQL of its own. The only statement is the
        // shared rate limiter's counter, which every authenticated request pays (its ceiling is that upsert).
        expect(
          result.sql.filter((statement) => !statement.includes('rate_limit_counters')),
          result.id,
        ).toEqual([])
      } else {
        expect(result.database?.requests, result.id).toBeGreaterThan(0)
        expect(result.database?.errors, result.id).toBe(0)
        expect(result.sql.length, result.id).toBeGreaterThan(0)
      }
      const ceiling = result.id.startsWith('content-') ? result.file : result.framework
      expect(ceiling?.requests, result.id).toBeGreaterThan(0)
      expect(ceiling?.errors, result.id).toBe(0)
    }
  })

  it('reports a table with ratios and checks every target of issue 10', () => {
    const markdown = markdownReport({ ...report, machine: { cores: '2' } }, 'pnpm bench --smoke')
    expect(markdown).toContain('| List, page 1 (25 messages) | jwt |')
    expect(markdown).toMatch(/\d+ %/)
    expect(checkTargets(report).map((c) => c.target)).toEqual(
      expect.arrayContaining([
        'List page 1, p99 ≤ 25 ms at 1,000 req/s',
        'List page 1 ≥ 40 % of the framework ceiling',
        'q search, p95 ≤ 50 ms (at 25 req/s)',
        'Reference-data detail ≥ 60 % of the framework ceiling',
      ]),
    )
  })

  it('summarises the run for the capacity model: WAL per request and table sizes included', () => {
    const summary = validated(BenchSummary, summarise(report, 'pnpm bench --smoke', 'partial'), 'summary')
    const publication = summary.scenarios.find((s) => s.id === 'publication-1mb')!
    // A publication writes its attachment into the WAL (the whole cluster's: other databases may add to it).
    expect(publication.modes[0]!.walBytesPerRequest).toBeGreaterThan(SMOKE_SPEC.downloadBytes[0])
    const messages = summary.storage?.find((t) => t.name === 'messages')
    expect(messages?.rows).toBeGreaterThanOrEqual(SMOKE_SPEC.messages)
    expect(messages?.indexBytes).toBeGreaterThan(0)
    expect(summary.storage?.find((t) => t.name === 'audit_records')?.rows).toBeGreaterThan(0)
  })
})
