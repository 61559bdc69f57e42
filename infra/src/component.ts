import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import type { ISecret } from 'kubernetes-models/v1/Secret'
import type { SecretName, SecretRef, Settings } from './config.ts'
import { buildManifests } from './manifests.ts'

export interface MessageRegistryArgs {
  settings: Settings
  /** Values set with `pulumi config set --secret`; written to the Secret the component owns. */
  secretValues: Partial<Record<SecretName, pulumi.Input<string>>>
}

/**
 * The Message Registry in one namespace: the manifests come from `buildManifests` (pure, validated
 * offline); this class only creates them, in an order that makes a failed migration stop the rollout.
 */
export class MessageRegistry extends pulumi.ComponentResource {
  /** Every Kubernetes object of the stack, for outputs and tests. */
  readonly resources: pulumi.CustomResource[]
  readonly migration: k8s.batch.v1.Job
  readonly url: string

  constructor(name: string, args: MessageRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super('ebox:registry:MessageRegistry', name, {}, opts)
    const { settings } = args
    const m = buildManifests(settings)
    const child = (dependsOn: pulumi.Resource[] = []) => ({ parent: this, dependsOn })

    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, asArgs(m.namespace), child())
    const inNamespace = child([namespace])
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-service-account`,
      asArgs(m.serviceAccount),
      inNamespace,
    )
    // Kept when replaced by the next content (retainOnDelete): the previous ReplicaSet still names it, so
    // `kubectl rollout undo` works. docs/operations.md says how to prune the ones no ReplicaSet names.
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, asArgs(m.config), {
      ...inNamespace,
      retainOnDelete: true,
    })
    const secret =
      m.secret && new k8s.core.v1.Secret(`${name}-secret`, asArgs(managedSecret(m.secret, args)), inNamespace)
    const networkPolicies = m.networkPolicies.map(
      (policy) =>
        new k8s.networking.v1.NetworkPolicy(`${name}-${policy.metadata!.name}`, asArgs(policy), inNamespace),
    )

    // The database (a CloudNativePG Cluster is awaited until Ready: pulumi.com/waitFor) and its backups.
    const dataTier = m.dataTier.map(
      (object) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${object.kind.toLowerCase()}-${object.metadata.name}`,
          object,
          child([namespace, ...networkPolicies]),
        ),
    )

    // Everything a pod needs exists before the first pod starts (network policies included, or DNS fails).
    const podPrerequisites = [
      namespace,
      serviceAccount,
      config,
      ...(secret ? [secret] : []),
      ...networkPolicies,
      ...dataTier,
    ]
    this.migration = new k8s.batch.v1.Job(`${name}-migration`, asArgs(m.migration), {
      ...child(podPrerequisites),
      // The provider waits for the Job to complete and fails the update if it fails.
      customTimeouts: { create: '15m', update: '15m' },
    })
    // The Deployments wait for the migration: a failed migration stops the rollout.
    const afterMigration = child([...podPrerequisites, this.migration])
    const registry = new k8s.apps.v1.Deployment(`${name}-deployment`, asArgs(m.registry), {
      ...afterMigration,
      // The autoscaler owns the replica count once the Deployment exists.
      ignoreChanges: ['spec.replicas'],
    })
    const worker = new k8s.apps.v1.Deployment(`${name}-worker`, asArgs(m.worker), afterMigration)
    const service = new k8s.core.v1.Service(`${name}-service`, asArgs(m.service), inNamespace)
    const workerService = new k8s.core.v1.Service(
      `${name}-worker-service`,
      asArgs(m.workerService),
      inNamespace,
    )
    const serviceMonitor =
      m.serviceMonitor &&
      new k8s.apiextensions.CustomResource(
        `${name}-service-monitor`,
        m.serviceMonitor,
        child([service, workerService]),
      )
    const ingress = new k8s.networking.v1.Ingress(
      `${name}-ingress`,
      asArgs(m.ingress),
      child([namespace, service]),
    )
    const autoscaler = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-autoscaler`,
      asArgs(m.autoscaler),
      child([registry]),
    )
    const disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      asArgs(m.disruptionBudget),
      inNamespace,
    )
    const workerDisruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      `${name}-worker-pdb`,
      asArgs(m.workerDisruptionBudget),
      inNamespace,
    )

    this.resources = [
      namespace,
      serviceAccount,
      config,
      ...(secret ? [secret] : []),
      ...networkPolicies,
      ...dataTier,
      this.migration,
      registry,
      worker,
      service,
      workerService,
      ingress,
      autoscaler,
      disruptionBudget,
      workerDisruptionBudget,
      ...(serviceMonitor ? [serviceMonitor] : []),
    ]
    this.url = `https://${settings.ingress.host}`
    this.registerOutputs({ url: this.url })
  }
}

/**
 * kubernetes-models types are plain JSON; the provider's argument types differ only in details
 * (quantities as strings, `spec` required), so the typed manifests are handed over as they are.
 */
function asArgs<T>(manifest: object): T {
  return manifest as T
}

/** The manifest with its placeholders replaced by the Pulumi secrets (kept encrypted in the state). */
function managedSecret(manifest: ISecret, { settings, secretValues }: MessageRegistryArgs): ISecret {
  const stringData: Record<string, pulumi.Output<string>> = {}
  for (const [name, ref] of Object.entries(settings.secrets) as [SecretName, SecretRef][]) {
    if (!ref.managed) continue
    const value = secretValues[name]
    if (value === undefined) throw new Error(`no value for the Pulumi secret ${name}`)
    stringData[ref.key] = pulumi.secret(value)
  }
  return { ...manifest, stringData: stringData as unknown as Record<string, string> }
}
