import type { BenchSummary, Platform, ScenarioFigures, Workload } from '../src/schema.ts'
import type { UnitCosts } from '../src/unit-costs.ts'

/** Round unit costs, so every expectation below can be checked by hand. */
export const costs: UnitCosts = {
  list: { serviceMs: 2, postgresMs: 1, statements: 3 },
  detail: { serviceMs: 1, postgresMs: 0.5, statements: 2 },
  referenceData: { serviceMs: 0.1, postgresMs: 0, statements: 1 },
  search: { serviceMs: 2, postgresMs: 20, statements: 1 },
  download: {
    fixed: { serviceMs: 3, postgresMs: 2, statements: 1 },
    serviceMsPerByte: 1e-6,
    postgresMsPerByte: 2e-6,
  },
  publication: {
    fixed: { serviceMs: 10, postgresMs: 8, statements: 1 },
    serviceMsPerByte: 1e-6,
    postgresMsPerByte: 2e-6,
  },
  peakRssMiB: 250,
  auditedRatePerSecondMeasured: 2000,
  walBytesPerPublication: 1_100_000,
  publicationBytesMeasured: 1_000_000,
  walBytesPerAuditedRead: 500,
  message: { rows: 1000, indexes: 500 },
  attachment: { rows: 200, indexes: 100 },
  auditRecord: { rows: 300, indexes: 100 },
  outboxEvent: { rows: 100, indexes: 50 },
  sources: ['test figures'],
}

export const platform: Platform = {
  api: {
    cpuRequestCores: 0.5,
    cpuPerProcessCores: 1,
    targetUtilisation: 0.5,
    minReplicas: 2,
    maxReplicas: 10,
    dbPoolMax: 10,
    extraConnections: 1,
    memoryHeadroomMiB: 64,
    egressBytesPerSecond: 100_000_000,
  },
  worker: {
    minReplicas: 1,
    maxReplicas: 4,
    concurrency: 2,
    batchSize: 50,
    dbPoolMax: 5,
    eesRoundTripMs: 500,
  },
  postgres: {
    maxVcpu: 8,
    targetUtilisation: 0.5,
    maxConnections: 100,
    reservedConnections: 3,
    maxIops: 10_000,
    roundTripMs: 1,
    pageBytes: 8000,
  },
  objectStorage: { maxPutsPerSecond: 3500, maxGetsPerSecond: 5500 },
}

/** 86,400 of everything a day: one per second on average, `peakFactor` per second at the peak. */
export const workload: Workload = {
  name: 'hand-checked',
  description: 'round numbers',
  enterprises: 1000,
  citizens: 0,
  publication: {
    messagesPerDay: 86_400,
    peakFactor: 2,
    attachmentsPerMessage: 1,
    attachmentSizes: [
      { share: 0.5, bytes: 500_000 },
      { share: 0.5, bytes: 1_500_000 },
    ],
  },
  portal: {
    sessionsPerDay: 86_400,
    peakFactor: 2,
    perSession: { lists: 1, details: 1, referenceDataDetails: 3, downloads: 1 },
    searchesPerDay: 86_400,
    federationCallReplicas: 1,
  },
  retentionYears: 2,
  platform: 'test',
  contentStore: 'object-storage',
}

export function scenario(
  id: string,
  serviceMs: number,
  postgresMs: number,
  extra: Partial<ScenarioFigures> = {},
) {
  return {
    id,
    title: id,
    connections: 8,
    modes: (['jwt', 'introspection'] as const).map((mode, i) => ({
      mode,
      requestsPerSecond: 100 + i,
      p50Ms: 1,
      p95Ms: 2,
      p99Ms: 3,
      errors: 0,
      // The second mode costs a little more: unit costs take the larger.
      serviceCpuMsPerRequest: serviceMs + i * 0.1,
      postgresCpuMsPerRequest: postgresMs + i * 0.1,
      peakRssMiB: 200 + i * 10,
      rssGrowthMiB: 5,
      walBytesPerRequest: 1000 * (i + 1),
    })),
    ...extra,
  }
}

export function summary(scenarios: ScenarioFigures[], extra: Partial<BenchSummary> = {}): BenchSummary {
  return {
    format: 1,
    startedAt: '2026-11-25T18:59:47.016Z',
    scope: 'full',
    command: 'pnpm bench',
    source: 'test',
    machine: {},
    dataset: { messages: 10, eboxes: 1, bigEboxMessages: 5 },
    scenarios,
    ...extra,
  }
}
