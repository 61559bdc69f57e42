import type { Platform, Workload } from './schema.ts'
import type { Cost, SizedCost, UnitCosts } from './unit-costs.ts'

const DAY_SECONDS = 86_400
const YEAR_DAYS = 365

/** Requests per second of each kind: the peak hour's rate, or the day's mean. */
export interface Rates {
  publications: number
  attachments: number
  lists: number
  details: number
  referenceData: number
  downloads: number
  searches: number
}

export interface Sizing {
  peak: Rates
  mean: Rates
  meanAttachmentBytes: number
  api: {
    coresAtPeak: number
    coresAtMean: number
    podsAtPeak: number
    podsAtMean: number
    cpuRequestCores: number
    memoryRequestMiB: number
    memoryLimitMiB: number
    /** Connections one pod keeps busy at peak (Little's law: rate × time a request holds one). */
    connectionsBusyPerPod: number
  }
  workers: { pods: number; eventsPerSecondPerPod: number }
  postgres: { coresAtPeak: number; vcpu: number; iops: number; walBytesPerSecond: number }
  connections: { configured: number; budget: number }
  storagePerYear: { rows: number; indexes: number; wal: number; audit: number; contents: number }
  storageAtRetention: { database: number; contents: number }
  objectStorage: { bytes: number; putsPerSecond: number; getsPerSecond: number }
  network: { egressBytesPerSecond: number }
  ees: { eventsPerSecond: number }
  audit: { recordsPerSecond: number }
}

/** Request rates of a workload: per day → per second, the peak factor applied for `peak`. */
export function ratesOf(w: Workload, peak: boolean): Rates {
  const publications = (w.publication.messagesPerDay / DAY_SECONDS) * (peak ? w.publication.peakFactor : 1)
  const portal = (perDay: number) =>
    ((perDay * w.portal.federationCallReplicas) / DAY_SECONDS) * (peak ? w.portal.peakFactor : 1)
  const sessions = w.portal.sessionsPerDay
  return {
    publications,
    attachments: publications * w.publication.attachmentsPerMessage,
    lists: portal(sessions * w.portal.perSession.lists),
    details: portal(sessions * w.portal.perSession.details),
    referenceData: portal(sessions * w.portal.perSession.referenceDataDetails),
    downloads: portal(sessions * w.portal.perSession.downloads),
    searches: portal(w.portal.searchesPerDay),
  }
}

/** Mean attachment size: the size of each bucket weighted by its share (shares are normalised to 1). */
export function meanAttachmentBytes(w: Workload): number {
  const total = w.publication.attachmentSizes.reduce((sum, b) => sum + b.share, 0)
  if (total <= 0) throw new RangeError(`${w.name}: attachment size shares sum to 0`)
  return w.publication.attachmentSizes.reduce((sum, b) => sum + b.share * b.bytes, 0) / total
}

/** Every rate of a workload multiplied by `factor` (growth ×2, ×10, ×100). */
export function scaled(w: Workload, factor: number): Workload {
  return {
    ...w,
    enterprises: Math.round(w.enterprises * factor),
    citizens: Math.round(w.citizens * factor),
    publication: { ...w.publication, messagesPerDay: w.publication.messagesPerDay * factor },
    portal: {
      ...w.portal,
      sessionsPerDay: w.portal.sessionsPerDay * factor,
      searchesPerDay: w.portal.searchesPerDay * factor,
    },
  }
}

/** A sized request's cost at a size: the fixed part plus the bytes; PostgreSQL's per-byte part only when it stores them. */
function sizedCost(cost: SizedCost, bytes: number, contentInPostgres: boolean): Cost {
  return {
    serviceMs: cost.fixed.serviceMs + cost.serviceMsPerByte * bytes,
    postgresMs: cost.fixed.postgresMs + (contentInPostgres ? cost.postgresMsPerByte * bytes : 0),
    statements: cost.fixed.statements,
  }
}

/** (rate, cost) of every request kind; a publication moves all its attachments' bytes. */
function mix(r: Rates, u: UnitCosts, w: Workload, attachmentBytes: number): [number, Cost][] {
  const inPostgres = w.contentStore === 'postgres'
  return [
    [r.lists, u.list],
    [r.details, u.detail],
    [r.referenceData, u.referenceData],
    [r.searches, u.search],
    [r.downloads, sizedCost(u.download, attachmentBytes, inPostgres)],
    [
      r.publications,
      sizedCost(u.publication, attachmentBytes * w.publication.attachmentsPerMessage, inPostgres),
    ],
  ]
}

const cores = (m: [number, Cost][], part: 'serviceMs' | 'postgresMs') =>
  m.reduce((sum, [rate, cost]) => sum + (rate * cost[part]) / 1000, 0)

/** Audited requests per second: every consultation and publication; reference data is not audited. */
const auditedRate = (r: Rates) => r.publications + r.lists + r.details + r.downloads + r.searches

/** WAL per second: publications (their attachment bytes too when PostgreSQL stores them) and audited reads. */
function walPerSecond(r: Rates, u: UnitCosts, w: Workload, attachmentBytes: number): number {
  const bytesPerMessage = attachmentBytes * w.publication.attachmentsPerMessage
  // The measured publication wrote its 1 MiB attachment into the WAL: move to the workload's size, or take it out.
  const contentDelta =
    w.contentStore === 'postgres' ? bytesPerMessage - u.publicationBytesMeasured : -u.publicationBytesMeasured
  const perPublication = Math.max(0, u.walBytesPerPublication + contentDelta)
  return r.publications * perPublication + (auditedRate(r) - r.publications) * u.walBytesPerAuditedRead
}

const ceilTo = (value: number, step: number) => Math.ceil(value / step - 1e-9) * step

/** The sizing of one workload on one platform: every equation of docs/capacity.md, in order. */
export function size(w: Workload, u: UnitCosts, p: Platform): Sizing {
  const peak = ratesOf(w, true)
  const mean = ratesOf(w, false)
  const bytes = meanAttachmentBytes(w)
  const atPeak = mix(peak, u, w, bytes)
  const atMean = mix(mean, u, w, bytes)

  // API: CPU at peak over what one pod may use before the HPA adds one (its request × target, at most one core).
  const apiCoresAtPeak = cores(atPeak, 'serviceMs')
  const apiCoresAtMean = cores(atMean, 'serviceMs')
  const perPod = Math.min(p.api.cpuRequestCores, p.api.cpuPerProcessCores) * p.api.targetUtilisation
  const podsFor = (needed: number) => Math.max(p.api.minReplicas, Math.ceil(needed / perPod - 1e-9))
  const podsAtPeak = podsFor(apiCoresAtPeak)
  const busyConnections = atPeak.reduce(
    (sum, [rate, cost]) => sum + (rate * (cost.postgresMs + cost.statements * p.postgres.roundTripMs)) / 1000,
    0,
  )

  // Workers: each delivery loop posts a batch per EES round trip.
  const eventsPerSecondPerPod = (p.worker.concurrency * p.worker.batchSize * 1000) / p.worker.eesRoundTripMs
  const workerPods = Math.max(
    p.worker.minReplicas,
    Math.ceil(peak.publications / eventsPerSecondPerPod - 1e-9),
  )

  // PostgreSQL: CPU of the backends at peak, over the utilisation it may run at.
  const postgresCoresAtPeak = cores(atPeak, 'postgresMs')
  const walBytesPerSecond = walPerSecond(peak, u, w, bytes)
  // One WAL flush per committing transaction (publications, audit batches: at most one per audited request),
  // and every WAL page written twice (the WAL, then the data page at checkpoint).
  const iops = peak.publications + auditedRate(peak) + (2 * walBytesPerSecond) / p.postgres.pageBytes

  const messagesPerYear = w.publication.messagesPerDay * YEAR_DAYS
  const attachmentsPerYear = messagesPerYear * w.publication.attachmentsPerMessage
  const auditPerYear = auditedRate(mean) * DAY_SECONDS * YEAR_DAYS
  const rows =
    messagesPerYear * (u.message.rows + u.outboxEvent.rows) + attachmentsPerYear * u.attachment.rows
  const indexes =
    messagesPerYear * (u.message.indexes + u.outboxEvent.indexes) + attachmentsPerYear * u.attachment.indexes
  const audit = auditPerYear * (u.auditRecord.rows + u.auditRecord.indexes)
  const wal = walPerSecond(mean, u, w, bytes) * DAY_SECONDS * YEAR_DAYS
  const contents = attachmentsPerYear * bytes
  const inPostgres = w.contentStore === 'postgres'

  return {
    peak,
    mean,
    meanAttachmentBytes: bytes,
    api: {
      coresAtPeak: apiCoresAtPeak,
      coresAtMean: apiCoresAtMean,
      podsAtPeak,
      podsAtMean: podsFor(apiCoresAtMean),
      cpuRequestCores: p.api.cpuRequestCores,
      memoryRequestMiB: ceilTo(u.peakRssMiB, 16),
      memoryLimitMiB: ceilTo(u.peakRssMiB + p.api.memoryHeadroomMiB, 16),
      connectionsBusyPerPod: busyConnections / podsAtPeak,
    },
    workers: { pods: workerPods, eventsPerSecondPerPod },
    postgres: {
      coresAtPeak: postgresCoresAtPeak,
      vcpu: Math.max(1, Math.ceil(postgresCoresAtPeak / p.postgres.targetUtilisation - 1e-9)),
      iops,
      walBytesPerSecond,
    },
    connections: {
      configured:
        podsAtPeak * (p.api.dbPoolMax + p.api.extraConnections) +
        workerPods * p.worker.dbPoolMax +
        p.postgres.reservedConnections,
      budget: p.postgres.maxConnections,
    },
    storagePerYear: { rows, indexes, wal, audit, contents },
    storageAtRetention: {
      database: (rows + indexes + audit + (inPostgres ? contents : 0)) * w.retentionYears,
      contents: contents * w.retentionYears,
    },
    objectStorage: inPostgres
      ? { bytes: 0, putsPerSecond: 0, getsPerSecond: 0 }
      : {
          bytes: contents * w.retentionYears,
          putsPerSecond: peak.attachments,
          getsPerSecond: peak.downloads,
        },
    network: { egressBytesPerSecond: peak.downloads * bytes },
    ees: { eventsPerSecond: peak.publications },
    audit: { recordsPerSecond: auditedRate(peak) },
  }
}
