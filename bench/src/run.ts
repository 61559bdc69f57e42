import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TableStorage } from '@ebox/capacity'
import { startTokenIssuer } from '@ebox/token-issuer'
import pg from 'pg'
import { runDatabaseCeiling } from './ceilings/database.ts'
import type { CapturedResponse } from './ceilings/framework-routes.ts'
import { startFileCeiling, startFrameworkCeiling } from './ceilings/start.ts'
import { backendCpuSpent, backendCpuTimes, cpuTimeOf } from './cpu.ts'
import { type Dataset, downloadContent } from './generate.ts'
import {
  type LoadOptions,
  type LoadRequest,
  type Measurement,
  runDownloadLoad,
  runLoad,
  runPacedLoad,
} from './load.ts'
import { buildScenarios, referenceSchemaOf, type Scenario } from './scenarios.ts'
import type { CapturedStatement } from './service/captured.ts'
import {
  AUDIENCE,
  benchTokens,
  memoryOf,
  type OAuthMode,
  type RegistryProcess,
  resetPeak,
  startRegistry,
} from './service/registry-process.ts'
import { measureStorage, walPosition } from './storage.ts'

export interface RunOptions {
  databaseUrl: string
  dataset: Dataset
  durationSeconds: number
  warmupSeconds: number
  modes: OAuthMode[]
  /** Scenario ids to run (default all). */
  only?: string[]
  /** Where logs, captured SQL and the file-ceiling files go. */
  workDir: string
  poolMax?: number
  /** More environment for the registry (the object-store run sets CONTENT_STORE=s3). */
  registryEnv?: Record<string, string>
  log?: (line: string) => void
}

export interface ServiceResult extends Measurement {
  mode: OAuthMode
  rssBeforeBytes: number
  peakRssBytes: number
  /** CPU ms per request of the service process, and of the PostgreSQL backends serving it. */
  serviceCpuMsPerRequest: number
  postgresCpuMsPerRequest: number
  /** WAL the cluster wrote during the measurement, per request (every database's: read on a quiet server). */
  walBytesPerRequest: number
}

export interface ScenarioResult {
  id: string
  title: string
  connections: number
  overallRate?: number
  service: ServiceResult[]
  framework?: Measurement
  file?: Measurement
  database?: Measurement & { statementsPerRequest: number }
  /** The SQL of one request (first of the rotation), as the service ran it. */
  sql: string[]
}

export interface BenchReport {
  startedAt: string
  durationSeconds: number
  dataset: Dataset
  machine: Record<string, string>
  results: ScenarioResult[]
  /** Table sizes of the benchmark database at the end of the run. */
  storage?: TableStorage[]
}

/** Requests of a scenario as sent: its token, and If-None-Match when conditional. */
function withAuth(requests: LoadRequest[], token: string, etags?: Map<string, string>): LoadRequest[] {
  return requests.map((request) => ({
    ...request,
    headers: {
      ...request.headers,
      authorization: `Bearer ${token}`,
      ...(etags?.get(request.path) ? { 'if-none-match': etags.get(request.path)! } : {}),
    },
  }))
}

async function send(url: string, request: LoadRequest): Promise<Response> {
  return fetch(`${url}${request.path}`, {
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body !== undefined ? { body: request.body } : {}),
  })
}

const KEPT_HEADERS = ['content-type', 'cache-control', 'etag']

/**
 * One full run: every scenario against the service in each OAuth mode, then the ceilings of the same scenarios
 * in the same run (framework, file stream, database), one process at a time on the same cores.
 */
export async function runBenchmarks(options: RunOptions): Promise<BenchReport> {
  const log = options.log ?? (() => {})
  mkdirSync(options.workDir, { recursive: true })
  const startedAt = new Date().toISOString()
  const scenarios = buildScenarios(options.dataset).filter(
    (s) => !options.only || options.only.includes(s.id) || options.only.includes(s.ceilingsOf ?? ''),
  )
  const duration = (s: Scenario) => Math.max(1, Math.round(options.durationSeconds * (s.durationFactor ?? 1)))
  const warmup = (s: Scenario) => Math.round(options.warmupSeconds * (s.durationFactor ?? 1))
  const results = new Map<string, ScenarioResult>(
    scenarios.map((s) => [
      s.id,
      {
        id: s.id,
        title: s.title,
        connections: s.connections,
        ...(s.overallRate ? { overallRate: s.overallRate } : {}),
        service: [],
        sql: [],
      },
    ]),
  )
  const captures = new Map<string, { responses: CapturedResponse[]; statements: CapturedStatement[][] }>()
  const etags = new Map<string, string>()
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  // Reads the CPU time of the service's PostgreSQL backends around each measurement.
  const monitor = new pg.Client({ connectionString: options.databaseUrl })
  await monitor.connect()
  const databaseName = (await monitor.query<{ db: string }>('SELECT current_database() AS db')).rows[0]!.db
  let storage: TableStorage[] | undefined
  try {
    const tokens = await benchTokens(issuer, options.dataset)
    const tokenOf = (s: Scenario) => (s.token === 'consumer' ? tokens.consumer : tokens.publisher)

    for (const mode of options.modes) {
      log(`service, ${mode} mode`)
      const registry = await startRegistry({
        databaseUrl: options.databaseUrl,
        issuer,
        mode,
        logDir: options.workDir,
        ...(options.poolMax ? { poolMax: options.poolMax } : {}),
        ...(options.registryEnv ? { env: options.registryEnv } : {}),
      })
      try {
        // Prime, then capture every scenario on the idle service (before any load: requests still in flight
        // after a load run would mix their SQL into the capture). First reads have side effects (read marks, the
        // consultation record) that later ones do not.
        for (const scenario of scenarios) {
          for (const request of withAuth(scenario.requests, tokenOf(scenario))) {
            const response = await send(registry.url, request)
            const etag = response.headers.get('etag')
            if (etag) etags.set(request.path, etag)
            await response.arrayBuffer()
          }
        }
        const requestsOf = (scenario: Scenario) =>
          withAuth(scenario.requests, tokenOf(scenario), scenario.conditional ? etags : undefined)
        for (const scenario of scenarios) {
          if (!captures.has(scenario.id) && !scenario.ceilingsOf) {
            captures.set(scenario.id, await capture(registry, scenario, requestsOf(scenario)))
          }
        }
        for (const scenario of scenarios) {
          const requests = requestsOf(scenario)
          if (warmup(scenario) > 0) {
            await loaderOf(scenario)({
              url: registry.url,
              requests,
              connections: scenario.connections,
              durationSeconds: warmup(scenario),
              expect: scenario.expect,
            })
          }
          // Let the previous run's last requests and audit batches finish first.
          await new Promise((resolve) => setTimeout(resolve, 500))
          const before = await memoryOf(registry.pid)
          await resetPeak(registry.pid)
          const cpuBefore = await cpuTimeOf(registry.pid)
          const backendsBefore = await backendCpuTimes(monitor, databaseName)
          const walBefore = await walPosition(monitor)
          const measured = await loaderOf(scenario)({
            url: registry.url,
            requests,
            connections: scenario.connections,
            durationSeconds: duration(scenario),
            expect: scenario.expect,
          })
          const after = await memoryOf(registry.pid)
          const serviceCpu = (await cpuTimeOf(registry.pid)) - cpuBefore
          const postgresCpu = backendCpuSpent(backendsBefore, await backendCpuTimes(monitor, databaseName))
          const walBytes = Number((await walPosition(monitor)) - walBefore)
          const result: ServiceResult = {
            ...measured,
            mode,
            rssBeforeBytes: before.rssBytes,
            peakRssBytes: Math.max(after.peakBytes, after.rssBytes),
            serviceCpuMsPerRequest: serviceCpu / Math.max(1, measured.requests),
            postgresCpuMsPerRequest: postgresCpu / Math.max(1, measured.requests),
            walBytesPerRequest: walBytes / Math.max(1, measured.requests),
          }
          results.get(scenario.id)!.service.push(result)
          log(`  ${scenario.id}: ${summary(measured)}, peak RSS ${mb(result.peakRssBytes)}`)
        }
      } finally {
        await registry.stop()
      }
    }

    // Framework ceiling: the captured bodies, from memory, through the same schemas.
    const frameworkScenarios = scenarios.filter((s) => s.ceiling === 'framework' && !s.ceilingsOf)
    if (frameworkScenarios.length > 0) {
      const routesFile = join(options.workDir, 'framework-routes.json')
      writeFileSync(
        routesFile,
        JSON.stringify(frameworkScenarios.flatMap((s) => captures.get(s.id)?.responses ?? [])),
      )
      const ceiling = await startFrameworkCeiling(routesFile, options.workDir)
      log('framework ceiling')
      try {
        for (const scenario of frameworkScenarios) {
          const requests = withAuth(
            scenario.requests,
            tokenOf(scenario),
            scenario.conditional ? etags : undefined,
          )
          const load = {
            url: ceiling.url,
            requests,
            connections: scenario.connections,
            expect: scenario.expect,
          }
          if (warmup(scenario) > 0) await runLoad({ ...load, durationSeconds: warmup(scenario) })
          const measured = await runLoad({ ...load, durationSeconds: duration(scenario) })
          results.get(scenario.id)!.framework = measured
          log(`  ${scenario.id}: ${summary(measured)}`)
        }
      } finally {
        await ceiling.stop()
      }
    }

    // File-stream ceiling: a plain HTTP server streaming a file of the same size from disk.
    const fileScenarios = scenarios.filter((s) => s.ceiling === 'file' && s.download !== undefined)
    if (fileScenarios.length > 0) {
      const dir = join(options.workDir, 'files')
      mkdirSync(dir, { recursive: true })
      for (const s of fileScenarios)
        writeFileSync(join(dir, `${s.id}.bin`), downloadContent(options.dataset.spec, s.download!))
      const ceiling = await startFileCeiling(dir, options.workDir)
      log('file-stream ceiling')
      try {
        for (const scenario of fileScenarios) {
          const load = {
            url: ceiling.url,
            requests: [{ method: 'GET' as const, path: `/${scenario.id}.bin` }],
            connections: scenario.connections,
          }
          if (warmup(scenario) > 0) await runDownloadLoad({ ...load, durationSeconds: warmup(scenario) })
          const measured = await runDownloadLoad({ ...load, durationSeconds: duration(scenario) })
          results.get(scenario.id)!.file = measured
          log(`  ${scenario.id}: ${summary(measured)}`)
        }
      } finally {
        await ceiling.stop()
      }
    }

    // Database ceiling: the captured SQL of each scenario, replayed with pg at the same concurrency.
    log('database ceiling')
    for (const scenario of scenarios.filter((s) => !s.ceilingsOf)) {
      const captured = captures.get(scenario.id)
      if (!captured) continue
      if (captured.statements.every((statements) => statements.length === 0)) {
        log(`  ${scenario.id}: no SQL (answered from memory)`)
        continue
      }
      results.get(scenario.id)!.sql =
        captured.statements[0]?.map((s) => s.text.replace(/\s+/g, ' ').trim()) ?? []
      const measured = await runRotatingDatabaseCeiling(
        options,
        scenario,
        captured.statements,
        duration(scenario),
      )
      results.get(scenario.id)!.database = measured
      log(`  ${scenario.id}: ${summary(measured)} (${measured.statementsPerRequest} statements)`)
    }
    storage = await measureStorage(monitor)
  } finally {
    await monitor.end()
    await issuer.close()
  }
  for (const scenario of scenarios) {
    if (!scenario.ceilingsOf) continue
    const of = results.get(scenario.ceilingsOf)
    const own = results.get(scenario.id)!
    if (of) Object.assign(own, { framework: of.framework, database: of.database, sql: of.sql })
  }
  writeFileSync(
    join(options.workDir, 'captured-sql.json'),
    JSON.stringify(Object.fromEntries(captures), null, 1),
  )
  return {
    startedAt,
    durationSeconds: options.durationSeconds,
    dataset: options.dataset,
    machine: {},
    results: [...results.values()],
    ...(storage ? { storage } : {}),
  }
}

/**
 * Fixed-rate scenarios are measured with an open-loop client (runPacedLoad), downloads with a body-discarding one
 * (runDownloadLoad), everything else with autocannon.
 */
function loaderOf(scenario: Scenario): (options: LoadOptions) => Promise<Measurement> {
  const rate = scenario.overallRate
  if (rate !== undefined) return (options) => runPacedLoad(options, rate)
  return scenario.ceiling === 'file' ? runDownloadLoad : runLoad
}

/** Replays each captured request of a rotating scenario in turn (one ceiling run per request, weighted equally). */
async function runRotatingDatabaseCeiling(
  options: RunOptions,
  scenario: Scenario,
  statements: CapturedStatement[][],
  durationSeconds: number,
) {
  if (statements.length === 1) {
    return runDatabaseCeiling({
      databaseUrl: options.databaseUrl,
      statements: statements[0]!,
      connections: scenario.connections,
      poolMax: options.poolMax ?? 10,
      durationSeconds,
      write: scenario.write ?? false,
    })
  }
  // Every request of the rotation for an equal share of the time; throughput is the harmonic combination.
  const parts: Awaited<ReturnType<typeof runDatabaseCeiling>>[] = []
  for (const list of statements) {
    parts.push(
      await runDatabaseCeiling({
        databaseUrl: options.databaseUrl,
        statements: list,
        connections: scenario.connections,
        poolMax: options.poolMax ?? 10,
        durationSeconds: Math.max(1, durationSeconds / statements.length),
        write: scenario.write ?? false,
      }),
    )
  }
  const perRequestSeconds = parts.reduce((sum, p) => sum + 1 / p.requestsPerSecond, 0) / parts.length
  const worst = (key: 'p50' | 'p95' | 'p99' | 'max') => Math.max(...parts.map((p) => p.latencyMs[key]))
  return {
    requests: parts.reduce((n, p) => n + p.requests, 0),
    requestsPerSecond: 1 / perRequestSeconds,
    latencyMs: { p50: worst('p50'), p95: worst('p95'), p99: worst('p99'), max: worst('max') },
    errors: parts.reduce((n, p) => n + p.errors, 0),
    statementsPerRequest: parts.reduce((n, p) => n + p.statementsPerRequest, 0) / parts.length,
  }
}

/** One request of each kind of the scenario: its response (for the framework ceiling) and its SQL. */
async function capture(registry: RegistryProcess, scenario: Scenario, requests: LoadRequest[]) {
  const responses: CapturedResponse[] = []
  const statements: CapturedStatement[][] = []
  for (const request of requests) {
    let response: Response | undefined
    let bytes: Buffer | undefined
    statements.push(
      await registry.captureSql(async () => {
        response = await send(registry.url, request)
        bytes = Buffer.from(await response.arrayBuffer())
      }),
    )
    const status = response!.status
    if (!scenario.expect.includes(status)) {
      throw new Error(
        `${scenario.id}: ${request.method} ${request.path} answered ${status}: ${bytes!.subarray(0, 300).toString()}`,
      )
    }
    const type = response!.headers.get('content-type') ?? ''
    const headers: Record<string, string> = {}
    for (const name of KEPT_HEADERS) {
      const value = response!.headers.get(name)
      if (value) headers[name] = value
    }
    responses.push({
      method: request.method,
      url: request.path,
      conditional: request.headers?.['if-none-match'] !== undefined,
      status,
      headers,
      body: type.includes('json') && bytes!.length > 0 ? JSON.parse(bytes!.toString('utf8')) : undefined,
      schema: status === 304 ? undefined : (scenario.schema ?? referenceSchemaOf(request.path)),
      multipart: request.method === 'POST',
    })
  }
  return { responses, statements }
}

export function mb(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`
}

function summary(m: Measurement): string {
  return `${Math.round(m.requestsPerSecond)} req/s, p50 ${m.latencyMs.p50.toFixed(1)} ms, p95 ${m.latencyMs.p95.toFixed(1)} ms, p99 ${m.latencyMs.p99.toFixed(1)} ms, ${m.errors} errors`
}
