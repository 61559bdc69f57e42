import { Deployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { Job } from 'kubernetes-models/batch/v1/Job'
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Namespace } from 'kubernetes-models/v1/Namespace'
import { Secret } from 'kubernetes-models/v1/Secret'
import { Service } from 'kubernetes-models/v1/Service'
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { validateCustomResource } from './custom-resources.ts'
import type { KubeObject } from './manifests.ts'

type ModelClass = { apiVersion: string; kind: string } & (new (data: never) => { validate(): void })

const models = new Map<string, ModelClass>(
  [
    Namespace,
    ServiceAccount,
    ConfigMap,
    Secret,
    Service,
    Deployment,
    Job,
    Ingress,
    NetworkPolicy,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
  ].map((model): [string, ModelClass] => [`${model.apiVersion}/${model.kind}`, model]),
)

/**
 * Checks a manifest against the Kubernetes OpenAPI schema (kubernetes-models): types, enums, required
 * fields, and fields the schema does not know (a misspelled field is silently dropped by the API server).
 */
export function validateManifest(manifest: KubeObject): string[] {
  const custom = validateCustomResource(manifest)
  if (custom) return custom
  const Model = models.get(`${manifest.apiVersion}/${manifest.kind}`)
  if (!Model) return [`no schema for ${manifest.apiVersion} ${manifest.kind}`]
  const accepts = (data: unknown) => {
    try {
      new Model(data as never).validate()
      return true
    } catch {
      return false
    }
  }
  try {
    new Model(manifest as never).validate()
  } catch (error) {
    return [(error as Error).message]
  }
  return unknownFields(structuredClone(manifest), accepts).map((path) => `unknown field ${path}`)
}

const probe = Symbol('probe')

/**
 * The compiled schemas ignore extra properties, so ask them field by field: put a value no schema
 * accepts in place of a field; if the manifest still validates, the schema does not know that field.
 */
function unknownFields(root: object, accepts: (data: unknown) => boolean): string[] {
  const found: string[] = []
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== 'object') return
    const record = node as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const value = record[key]
      const here = Array.isArray(node) ? `${path}[${key}]` : path ? `${path}.${key}` : key
      record[key] = probe
      const ignored = accepts(root)
      record[key] = value
      if (ignored && !Array.isArray(node)) found.push(here)
      else walk(value, here)
    }
  }
  walk(root, '')
  return found
}
