import {
  latestRuns,
  readPlatform,
  readSummaries,
  readWorkload,
  type StackValues,
  shortfalls,
  unitCosts,
} from '@ebox/capacity'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import { describe, expect, it } from 'vitest'
import type { Settings } from '../src/config.ts'
import { buildManifests, manifestList } from '../src/manifests.ts'
import { loadStackFile } from '../src/stack-file.ts'

/** The workload prd is sized for (docs/capacity.md, "prd from the medium table"). */
const prdWorkload = 'medium'

/** Kubernetes CPU quantity ("250m", "1") in cores. */
function cores(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity)
  if (!match) throw new Error(`unreadable CPU quantity ${quantity}`)
  return Number(match[1]) / (match[2] === 'm' ? 1000 : 1)
}

/** Kubernetes memory quantity ("256Mi", "1Gi", "512M") in MiB. */
function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|k|M|G)?$/.exec(quantity)
  if (!match) throw new Error(`unreadable memory quantity ${quantity}`)
  const factor = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[match[2] ?? ''] ?? 1
  return (Number(match[1]) * factor) / 1024 ** 2
}

/**
 * A variable of a Deployment's container: set on the container or in a ConfigMap it loads. Undefined when the
 * stack leaves it to the service's default.
 */
function envOf(deployment: IDeployment, objects: unknown[], name: string): string | undefined {
  const container = deployment.spec?.template.spec?.containers[0]
  const direct = container?.env?.find((e) => e.name === name)?.value
  if (direct !== undefined) return direct
  const maps = new Set(container?.envFrom?.flatMap((from) => from.configMapRef?.name ?? []))
  for (const object of objects as {
    kind?: string
    metadata?: { name?: string }
    data?: Record<string, string>
  }[]) {
    if (
      object.kind === 'ConfigMap' &&
      maps.has(object.metadata?.name ?? '') &&
      object.data?.[name] !== undefined
    )
      return object.data[name]
  }
  return undefined
}

/** max_connections of a PostgreSQL the stack renders (a CloudNativePG Cluster), if it renders one. */
function maxConnectionsOf(objects: unknown[]): number | undefined {
  for (const object of objects as { spec?: { postgresql?: { parameters?: Record<string, string> } } }[]) {
    const value = object.spec?.postgresql?.parameters?.max_connections
    if (value !== undefined) return Number(value)
  }
  return undefined
}

/** The stack's values in the model's units; what the stack does not set is the service's or PostgreSQL's default. */
function stackValues(
  settings: Settings,
  defaults: { dbPoolMax: number; maxConnections: number },
): StackValues {
  const manifests = buildManifests(settings)
  const objects = manifestList(manifests) as unknown[]
  const pool = (deployment: IDeployment) =>
    Number(envOf(deployment, objects, 'DB_POOL_MAX') ?? defaults.dbPoolMax)
  return {
    minReplicas: settings.autoscaling.minReplicas,
    maxReplicas: settings.autoscaling.maxReplicas,
    cpuRequestCores: cores(settings.resources.requests.cpu),
    cpuLimitCores: cores(settings.resources.limits.cpu),
    targetUtilisation: settings.autoscaling.cpuUtilization / 100,
    memoryRequestMiB: mebibytes(settings.resources.requests.memory),
    memoryLimitMiB: mebibytes(settings.resources.limits.memory),
    workerReplicas: settings.workerReplicas,
    dbPoolMax: pool(manifests.registry),
    workerDbPoolMax: pool(manifests.worker),
    maxConnections: maxConnectionsOf(objects) ?? defaults.maxConnections,
  }
}

describe(`prd is sized for the ${prdWorkload} workload of the capacity model`, () => {
  const { cpuRun, storageRun } = latestRuns(readSummaries())
  const costs = unitCosts(cpuRun, storageRun)
  const workload = readWorkload(prdWorkload)
  const platform = readPlatform(workload.platform)
  const defaults = { dbPoolMax: platform.api.dbPoolMax, maxConnections: platform.postgres.maxConnections }
  const prd = stackValues(loadStackFile('prd'), defaults)

  it('gives the API, the workers, the pools and the connection budget what the model asks', () => {
    expect(shortfalls(workload, costs, platform, prd)).toEqual([])
  })

  it('fails when a value falls below the model', () => {
    expect(shortfalls(workload, costs, platform, { ...prd, minReplicas: 1 })).toEqual([
      expect.stringMatching(/^HPA minReplicas 1 < 3/),
    ])
    expect(shortfalls(workload, costs, platform, { ...prd, memoryRequestMiB: 128 })).toEqual([
      expect.stringMatching(/^memory request 128Mi < \d+Mi/),
    ])
    expect(shortfalls(workload, costs, platform, { ...prd, maxConnections: 40 })).toEqual([
      expect.stringMatching(/connections at the peak of medium > max_connections 40$/),
    ])
    // Ten times the medium workload needs more API pods than prd's HPA maximum allows.
    const grown = { ...workload, publication: { ...workload.publication, messagesPerDay: 100 * 137_000 } }
    expect(shortfalls(grown, costs, platform, prd)).toContainEqual(expect.stringMatching(/^HPA maxReplicas/))
  })
})
