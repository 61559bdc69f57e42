import { size } from './model.ts'
import type { Platform, Workload } from './schema.ts'
import type { UnitCosts } from './unit-costs.ts'

/** What a deployment stack configures, in the model's units (read from the infra stack by its test). */
export interface StackValues {
  minReplicas: number
  maxReplicas: number
  cpuRequestCores: number
  cpuLimitCores: number
  /** The HPA's CPU target, as a fraction. */
  targetUtilisation: number
  memoryRequestMiB: number
  memoryLimitMiB: number
  workerReplicas: number
  dbPoolMax: number
  workerDbPoolMax: number
  maxConnections: number
}

/** The platform with the stack's pod shape, bounds, pools and connection budget; the rest stays assumed. */
export function platformOf(base: Platform, stack: StackValues): Platform {
  return {
    ...base,
    api: {
      ...base.api,
      cpuRequestCores: stack.cpuRequestCores,
      targetUtilisation: stack.targetUtilisation,
      maxReplicas: stack.maxReplicas,
      dbPoolMax: stack.dbPoolMax,
    },
    worker: { ...base.worker, dbPoolMax: stack.workerDbPoolMax },
    postgres: { ...base.postgres, maxConnections: stack.maxConnections },
  }
}

/**
 * Where a stack falls below what the model asks for a workload: each shortfall as a sentence (none when the stack
 * serves the workload's peak with the platform's availability floor).
 */
export function shortfalls(w: Workload, u: UnitCosts, base: Platform, stack: StackValues): string[] {
  const s = size(w, u, platformOf(base, stack))
  const found: string[] = []
  const need = (ok: boolean, sentence: string) => {
    if (!ok) found.push(sentence)
  }
  need(
    stack.minReplicas >= s.api.podsAtMean,
    `HPA minReplicas ${stack.minReplicas} < ${s.api.podsAtMean} (the mean load of ${w.name}, at least ${base.api.minReplicas} for availability)`,
  )
  need(
    stack.maxReplicas >= s.api.podsAtPeak,
    `HPA maxReplicas ${stack.maxReplicas} < ${s.api.podsAtPeak} pods for the peak of ${w.name}`,
  )
  need(
    stack.cpuLimitCores >= base.api.cpuPerProcessCores,
    `CPU limit ${stack.cpuLimitCores} < ${base.api.cpuPerProcessCores} core: a pod could not reach the measured rate`,
  )
  need(
    stack.memoryRequestMiB >= s.api.memoryRequestMiB,
    `memory request ${stack.memoryRequestMiB}Mi < ${s.api.memoryRequestMiB}Mi (the measured peak RSS)`,
  )
  need(
    stack.memoryLimitMiB >= s.api.memoryLimitMiB,
    `memory limit ${stack.memoryLimitMiB}Mi < ${s.api.memoryLimitMiB}Mi (peak RSS + headroom)`,
  )
  need(
    stack.workerReplicas >= s.workers.pods,
    `workerReplicas ${stack.workerReplicas} < ${s.workers.pods} worker pods for ${w.name}`,
  )
  need(
    stack.dbPoolMax >= Math.ceil(s.api.connectionsBusyPerPod),
    `DB_POOL_MAX ${stack.dbPoolMax} < ${Math.ceil(s.api.connectionsBusyPerPod)} connections busy per pod at peak`,
  )
  need(
    s.connections.configured <= stack.maxConnections,
    `${s.connections.configured} connections at the peak of ${w.name} > max_connections ${stack.maxConnections}`,
  )
  return found
}
