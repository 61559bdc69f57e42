import type { BenchSummary, ScenarioFigures, TableStorage } from './schema.ts'

const MiB = 1024 * 1024

/** CPU of one request: the service process and the PostgreSQL backends, in ms. */
export interface Cost {
  serviceMs: number
  postgresMs: number
  /** SQL round trips one request makes (the audit append not counted). */
  statements: number
}

/** A cost with a part per byte moved (downloads and publications). */
export interface SizedCost {
  fixed: Cost
  serviceMsPerByte: number
  postgresMsPerByte: number
}

/** Bytes on disk per row of a table: heap with its TOAST, and indexes. */
export interface RowBytes {
  rows: number
  indexes: number
}

/** What one request of each kind costs, read from the benchmark summaries; every figure says where it came from. */
export interface UnitCosts {
  list: Cost
  detail: Cost
  referenceData: Cost
  search: Cost
  download: SizedCost
  publication: SizedCost
  /** Largest peak RSS of the service over every scenario and mode, MiB. */
  peakRssMiB: number
  /** Highest rate of audited requests one process sustained (each appends an audit record under the chain head). */
  auditedRatePerSecondMeasured: number
  /** WAL per publication (with its attachment bytes, stored in PostgreSQL in the run) and per audited read. */
  walBytesPerPublication: number
  publicationBytesMeasured: number
  walBytesPerAuditedRead: number
  message: RowBytes
  attachment: RowBytes
  auditRecord: RowBytes
  outboxEvent: RowBytes
  sources: string[]
}

/** Scenarios each request kind is costed from: the largest figure of any of them in any OAuth mode. */
export const scenariosOf = {
  list: ['list-page-1', 'list-page-1-at-400'],
  detail: ['message-detail'],
  referenceData: ['reference-data', 'reference-data-304'],
  search: ['search-fr', 'search-fr-at-25'],
  downloadSmall: ['content-1mb'],
  downloadLarge: ['content-50mb'],
  publication: ['publication-1mb'],
} as const

/** Attachment sizes of the download and publication scenarios (bench/src/generate.ts FULL_SPEC, scenarios.ts). */
export const scenarioBytes = { downloadSmall: MiB, downloadLarge: 50 * MiB, publication: MiB } as const

/** Scenarios whose requests are audited (every consultation and publication; reference data is not). */
const auditedScenarios = new Set<string>([
  ...scenariosOf.list,
  ...scenariosOf.detail,
  ...scenariosOf.search,
  ...scenariosOf.downloadSmall,
  ...scenariosOf.downloadLarge,
  ...scenariosOf.publication,
])

export class MissingFigure extends Error {
  override name = 'MissingFigure'
}

function find(summary: BenchSummary, ids: readonly string[]): ScenarioFigures[] {
  const found = summary.scenarios.filter((s) => ids.includes(s.id))
  if (found.length === 0) {
    throw new MissingFigure(`benchmark run ${summary.startedAt} has none of the scenarios ${ids.join(', ')}`)
  }
  return found
}

function costOf(summary: BenchSummary, ids: readonly string[]): Cost {
  const scenarios = find(summary, ids)
  const modes = scenarios.flatMap((s) => s.modes)
  return {
    serviceMs: Math.max(...modes.map((m) => m.serviceCpuMsPerRequest)),
    postgresMs: Math.max(...modes.map((m) => m.postgresCpuMsPerRequest)),
    statements: Math.max(1, ...scenarios.map((s) => s.statementsPerRequest ?? 1)),
  }
}

/** Two measured points (small and large size) give a cost per byte and a fixed part. */
function linear(small: Cost, large: Cost, smallBytes: number, largeBytes: number) {
  const serviceMsPerByte = Math.max(0, (large.serviceMs - small.serviceMs) / (largeBytes - smallBytes))
  const postgresMsPerByte = Math.max(0, (large.postgresMs - small.postgresMs) / (largeBytes - smallBytes))
  return {
    serviceMsPerByte,
    postgresMsPerByte,
    fixed: {
      serviceMs: Math.max(0, small.serviceMs - serviceMsPerByte * smallBytes),
      postgresMs: Math.max(0, small.postgresMs - postgresMsPerByte * smallBytes),
      statements: small.statements,
    },
  }
}

function rowBytes(storage: TableStorage[], table: string, run: string): RowBytes {
  const found = storage.find((t) => t.name === table)
  if (!found || found.rows === 0) throw new MissingFigure(`benchmark run ${run} measured no rows of ${table}`)
  return {
    rows: (found.heapBytes + found.toastBytes) / found.rows,
    indexes: found.indexBytes / found.rows,
  }
}

function walOf(summary: BenchSummary, ids: readonly string[]): number {
  const values = find(summary, ids)
    .flatMap((s) => s.modes)
    .flatMap((m) => (m.walBytesPerRequest === undefined ? [] : [m.walBytesPerRequest]))
  if (values.length === 0) throw new MissingFigure(`benchmark run ${summary.startedAt} measured no WAL`)
  return Math.max(...values)
}

/**
 * Unit costs from two summaries: CPU, RSS and rates from the newest full run, WAL and table sizes from the newest
 * run that measured them (the same file once a full run records them).
 */
export function unitCosts(cpuRun: BenchSummary, storageRun: BenchSummary): UnitCosts {
  const downloadSmall = costOf(cpuRun, scenariosOf.downloadSmall)
  const downloadLarge = costOf(cpuRun, scenariosOf.downloadLarge)
  const download = linear(
    downloadSmall,
    downloadLarge,
    scenarioBytes.downloadSmall,
    scenarioBytes.downloadLarge,
  )
  // Publication was measured at one size only: its bytes are taken to cost what a download's bytes cost.
  const publicationMeasured = costOf(cpuRun, scenariosOf.publication)
  const publication: SizedCost = {
    serviceMsPerByte: download.serviceMsPerByte,
    postgresMsPerByte: download.postgresMsPerByte,
    fixed: {
      serviceMs: Math.max(
        0,
        publicationMeasured.serviceMs - download.serviceMsPerByte * scenarioBytes.publication,
      ),
      postgresMs: Math.max(
        0,
        publicationMeasured.postgresMs - download.postgresMsPerByte * scenarioBytes.publication,
      ),
      statements: publicationMeasured.statements,
    },
  }
  const storage = storageRun.storage
  if (!storage) throw new MissingFigure(`benchmark run ${storageRun.startedAt} measured no table sizes`)
  const audited = cpuRun.scenarios.filter(
    (s) => auditedScenarios.has(s.id) && s.fixedRatePerSecond === undefined,
  )
  return {
    list: costOf(cpuRun, scenariosOf.list),
    detail: costOf(cpuRun, scenariosOf.detail),
    referenceData: costOf(cpuRun, scenariosOf.referenceData),
    search: costOf(cpuRun, scenariosOf.search),
    download,
    publication,
    peakRssMiB: Math.max(...cpuRun.scenarios.flatMap((s) => s.modes.map((m) => m.peakRssMiB))),
    auditedRatePerSecondMeasured: Math.max(
      ...audited.flatMap((s) => s.modes.map((m) => m.requestsPerSecond)),
    ),
    walBytesPerPublication: walOf(storageRun, scenariosOf.publication),
    publicationBytesMeasured: scenarioBytes.publication,
    walBytesPerAuditedRead: walOf(storageRun, scenariosOf.detail),
    message: rowBytes(storage, 'messages', storageRun.startedAt),
    attachment: rowBytes(storage, 'attachments', storageRun.startedAt),
    auditRecord: rowBytes(storage, 'audit_records', storageRun.startedAt),
    outboxEvent: rowBytes(storage, 'outbox_events', storageRun.startedAt),
    sources: [
      `CPU per request, RSS, rates: run of ${cpuRun.startedAt} (${cpuRun.scope}); ${cpuRun.source}`,
      `WAL per request, bytes per row: run of ${storageRun.startedAt} (${storageRun.scope}; \`${storageRun.command}\`)`,
    ],
  }
}
