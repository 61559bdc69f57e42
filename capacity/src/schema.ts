import { type Static, Type } from '@sinclair/typebox'

const strict = { additionalProperties: false } as const
const NonNegative = Type.Number({ minimum: 0 })
const Positive = Type.Number({ exclusiveMinimum: 0 })
const Share = Type.Number({ minimum: 0, maximum: 1 })

/** One OAuth mode's figures of a scenario, as measured by the harness (`bench/src/run.ts`). */
export const ModeFigures = Type.Object(
  {
    mode: Type.Union([Type.Literal('jwt'), Type.Literal('introspection')]),
    requestsPerSecond: NonNegative,
    p50Ms: NonNegative,
    p95Ms: NonNegative,
    p99Ms: NonNegative,
    errors: Type.Integer({ minimum: 0 }),
    serviceCpuMsPerRequest: NonNegative,
    postgresCpuMsPerRequest: NonNegative,
    /** Resident set of the service process, MiB (1024² bytes; BENCHMARKS.md writes "MB"). */
    peakRssMiB: NonNegative,
    rssGrowthMiB: NonNegative,
    /** WAL the whole PostgreSQL cluster wrote during the measurement, per request answered. */
    walBytesPerRequest: Type.Optional(NonNegative),
  },
  strict,
)
export type ModeFigures = Static<typeof ModeFigures>

export const ScenarioFigures = Type.Object(
  {
    id: Type.String({ minLength: 1 }),
    title: Type.String(),
    connections: Type.Integer({ minimum: 1 }),
    /** Set for the open-loop scenarios run at a fixed rate. */
    fixedRatePerSecond: Type.Optional(Positive),
    modes: Type.Array(ModeFigures, { minItems: 1 }),
    frameworkCeilingPerSecond: Type.Optional(NonNegative),
    databaseCeilingPerSecond: Type.Optional(NonNegative),
    fileCeilingPerSecond: Type.Optional(NonNegative),
    /** SQL statements one request ran (the audit append not counted). */
    statementsPerRequest: Type.Optional(NonNegative),
    /** Where the figures come from when they were not written by the harness itself. */
    source: Type.Optional(Type.String()),
  },
  strict,
)
export type ScenarioFigures = Static<typeof ScenarioFigures>

/** Size of one table after a run: heap, its TOAST and its indexes. */
export const TableStorage = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    rows: Type.Integer({ minimum: 0 }),
    heapBytes: Type.Integer({ minimum: 0 }),
    toastBytes: Type.Integer({ minimum: 0 }),
    indexBytes: Type.Integer({ minimum: 0 }),
  },
  strict,
)
export type TableStorage = Static<typeof TableStorage>

/**
 * What `pnpm bench` writes to `bench/summaries/<time>.json` (committed, unlike `bench/results/`): the figures the
 * capacity model reads. `scope` is `full` for a run of every scenario on the default data set.
 */
export const BenchSummary = Type.Object(
  {
    format: Type.Literal(1),
    startedAt: Type.String({ minLength: 1 }),
    scope: Type.Union([Type.Literal('full'), Type.Literal('partial')]),
    command: Type.String(),
    source: Type.String(),
    machine: Type.Record(Type.String(), Type.String()),
    dataset: Type.Object(
      {
        messages: Type.Integer({ minimum: 0 }),
        eboxes: Type.Integer({ minimum: 0 }),
        bigEboxMessages: Type.Integer({ minimum: 0 }),
      },
      strict,
    ),
    scenarios: Type.Array(ScenarioFigures),
    /** Table sizes at the end of the run (measured since the harness records them). */
    storage: Type.Optional(Type.Array(TableStorage)),
  },
  strict,
)
export type BenchSummary = Static<typeof BenchSummary>

/** A share of the attachments and their size. */
const SizeBucket = Type.Object({ share: Share, bytes: Type.Integer({ minimum: 1 }) }, strict)

/** `capacity/workloads/<name>.yaml`. Rates are per day; peak factors turn the daily mean into the peak hour's. */
export const Workload = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.String({ minLength: 1 }),
    enterprises: Type.Integer({ minimum: 0 }),
    citizens: Type.Integer({ minimum: 0 }),
    publication: Type.Object(
      {
        messagesPerDay: NonNegative,
        /** Peak-hour rate ÷ mean rate over 24 h. */
        peakFactor: Type.Number({ minimum: 1 }),
        attachmentsPerMessage: NonNegative,
        attachmentSizes: Type.Array(SizeBucket, { minItems: 1 }),
      },
      strict,
    ),
    portal: Type.Object(
      {
        sessionsPerDay: NonNegative,
        peakFactor: Type.Number({ minimum: 1 }),
        /** Requests one portal session makes to this Document Provider. */
        perSession: Type.Object(
          {
            lists: NonNegative,
            details: NonNegative,
            referenceDataDetails: NonNegative,
            downloads: NonNegative,
          },
          strict,
        ),
        searchesPerDay: NonNegative,
        /** Calls this DP receives per portal action (the federation's duplicated or prefetched calls included). */
        federationCallReplicas: Type.Number({ minimum: 1 }),
      },
      strict,
    ),
    retentionYears: Type.Number({ minimum: 0 }),
    /** The platform file it runs on: `capacity/platforms/<platform>.yaml`. */
    platform: Type.String({ pattern: '^[a-z0-9-]+$' }),
    /** Where attachment bytes live: PostgreSQL (today's default) or object storage. */
    contentStore: Type.Union([Type.Literal('postgres'), Type.Literal('object-storage')]),
  },
  strict,
)
export type Workload = Static<typeof Workload>

/**
 * `capacity/platforms/<name>.yaml`: what the model assumes about where the service runs (not measured here): pod shape,
 * PostgreSQL server, network, object store. Each value says where it comes from in the file.
 */
export const Platform = Type.Object(
  {
    api: Type.Object(
      {
        cpuRequestCores: Positive,
        /** A Node process runs its JavaScript on one core: more CPU per pod does not raise its rate. */
        cpuPerProcessCores: Positive,
        targetUtilisation: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
        minReplicas: Type.Integer({ minimum: 1 }),
        maxReplicas: Type.Integer({ minimum: 1 }),
        dbPoolMax: Type.Integer({ minimum: 1 }),
        /** Connections a pod holds outside its pool (the LISTEN connection of the reference-data cache). */
        extraConnections: Type.Integer({ minimum: 0 }),
        /** Memory beyond the measured peak RSS: large downloads in flight, V8 headroom. */
        memoryHeadroomMiB: NonNegative,
        egressBytesPerSecond: Positive,
      },
      strict,
    ),
    worker: Type.Object(
      {
        minReplicas: Type.Integer({ minimum: 1 }),
        maxReplicas: Type.Integer({ minimum: 1 }),
        concurrency: Type.Integer({ minimum: 1 }),
        batchSize: Type.Integer({ minimum: 1 }),
        dbPoolMax: Type.Integer({ minimum: 1 }),
        eesRoundTripMs: Positive,
      },
      strict,
    ),
    postgres: Type.Object(
      {
        maxVcpu: Positive,
        targetUtilisation: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
        maxConnections: Type.Integer({ minimum: 1 }),
        reservedConnections: Type.Integer({ minimum: 0 }),
        maxIops: Positive,
        roundTripMs: NonNegative,
        pageBytes: Type.Integer({ minimum: 1 }),
      },
      strict,
    ),
    objectStorage: Type.Object({ maxPutsPerSecond: Positive, maxGetsPerSecond: Positive }, strict),
  },
  strict,
)
export type Platform = Static<typeof Platform>
