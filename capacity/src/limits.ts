import { type Sizing, scaled, size } from './model.ts'
import type { Platform, Workload } from './schema.ts'
import type { UnitCosts } from './unit-costs.ts'

/** A resource the workload uses, against the most the platform (or a measurement) says it can give. */
export interface Limit {
  resource: string
  required: (s: Sizing) => number
  limit: (p: Platform, u: UnitCosts) => number
  unit: string
  /** What stops growth there. */
  reason: string
}

export const limits: Limit[] = [
  {
    resource: 'API CPU',
    required: (s) => s.api.coresAtPeak,
    limit: (p) =>
      p.api.maxReplicas * Math.min(p.api.cpuRequestCores, p.api.cpuPerProcessCores) * p.api.targetUtilisation,
    unit: 'cores',
    reason: 'HPA maximum × CPU per pod at the target (one Node process uses one core at most)',
  },
  {
    resource: 'PostgreSQL connections',
    required: (s) => s.connections.configured,
    limit: (p) => p.postgres.maxConnections,
    unit: 'connections',
    reason: 'connection budget: pods × (pool + LISTEN) + workers × pool + reserved ≤ max_connections',
  },
  {
    resource: 'PostgreSQL CPU',
    required: (s) => s.postgres.coresAtPeak,
    limit: (p) => p.postgres.maxVcpu * p.postgres.targetUtilisation,
    unit: 'cores',
    reason: 'PostgreSQL cores: every write and read runs on the one primary, at its target utilisation',
  },
  {
    resource: 'Audit appends',
    required: (s) => s.audit.recordsPerSecond,
    limit: (_p, u) => u.auditedRatePerSecondMeasured,
    unit: 'records/s',
    reason:
      'measured rate: appends spread over 16 chain shards (no single-row lock since migration 0011); no higher rate was measured',
  },
  {
    resource: 'PostgreSQL IOPS',
    required: (s) => s.postgres.iops,
    limit: (p) => p.postgres.maxIops,
    unit: 'IOPS',
    reason: 'volume IOPS (WAL flush per commit, pages written at checkpoints)',
  },
  {
    resource: 'API egress',
    required: (s) => s.network.egressBytesPerSecond,
    limit: (p) => p.api.egressBytesPerSecond * p.api.maxReplicas,
    unit: 'B/s',
    reason: 'network: download bytes over every pod at the HPA maximum',
  },
  {
    resource: 'EES delivery',
    required: (s) => s.ees.eventsPerSecond,
    limit: (p) =>
      p.worker.maxReplicas * ((p.worker.concurrency * p.worker.batchSize * 1000) / p.worker.eesRoundTripMs),
    unit: 'events/s',
    reason: 'worker loops × batch ÷ EES round trip, at the worker maximum',
  },
  {
    resource: 'Object-store writes',
    required: (s) => s.objectStorage.putsPerSecond,
    limit: (p) => p.objectStorage.maxPutsPerSecond,
    unit: 'PUT/s',
    reason: 'object store request rate (per prefix)',
  },
  {
    resource: 'Object-store reads',
    required: (s) => s.objectStorage.getsPerSecond,
    limit: (p) => p.objectStorage.maxGetsPerSecond,
    unit: 'GET/s',
    reason: 'object store request rate (per prefix)',
  },
]

export const growthFactors = [2, 10, 100] as const

export interface Headroom {
  resource: string
  unit: string
  required: number
  limit: number
  /** limit ÷ required at ×1 (Infinity when nothing is required). */
  headroom: number
  /** The first growth factor at which the requirement passes the limit, or undefined beyond ×100. */
  firstHitAt: number | undefined
  reason: string
}

/** Headroom of every resource, and where each one stops as the workload grows ×2, ×10, ×100. */
export function headrooms(w: Workload, u: UnitCosts, p: Platform): Headroom[] {
  const base = size(w, u, p)
  const grown = growthFactors.map((factor) => [factor, size(scaled(w, factor), u, p)] as const)
  return limits.map((l) => {
    const required = l.required(base)
    const limit = l.limit(p, u)
    return {
      resource: l.resource,
      unit: l.unit,
      required,
      limit,
      headroom: required > 0 ? limit / required : Number.POSITIVE_INFINITY,
      firstHitAt: required > limit ? 1 : grown.find(([, sizing]) => l.required(sizing) > limit)?.[0],
      reason: l.reason,
    }
  })
}

/** The resource that runs out first: the smallest headroom. */
export function firstBottleneck(rows: Headroom[]): Headroom {
  return rows.reduce((first, row) => (row.headroom < first.headroom ? row : first))
}
