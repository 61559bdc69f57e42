/**
 * The rules of the policy pack, kept apart from `pack.ts` (whose `new PolicyPack` starts a server) so tests
 * can call each rule's `validateResource` / `validateStack` directly.
 */
import type {
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from '@pulumi/policy'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec'
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { environmentLabel, service } from '../manifests.ts'
import { dataTierResourceRules, dataTierStackRules } from './data-tier-rules.ts'

export const types = {
  deployment: 'kubernetes:apps/v1:Deployment',
  job: 'kubernetes:batch/v1:Job',
  serviceAccount: 'kubernetes:core/v1:ServiceAccount',
  configMap: 'kubernetes:core/v1:ConfigMap',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  networkPolicy: 'kubernetes:networking.k8s.io/v1:NetworkPolicy',
  autoscalers: ['v1', 'v2', 'v2beta1', 'v2beta2'].map(
    (v) => `kubernetes:autoscaling/${v}:HorizontalPodAutoscaler`,
  ),
}
const workloads = [types.deployment, types.job]

/** A resource rule together with the resource types it inspects (tests check each type is present). */
export interface ResourceRule extends ResourceValidationPolicy {
  types: string[]
}

type Check<T> = (props: T, report: (message: string) => void) => void

function rule<T>(name: string, description: string, ruleTypes: string[], check: Check<T>): ResourceRule {
  return {
    name,
    description,
    enforcementLevel: 'mandatory',
    types: ruleTypes,
    validateResource: (args, reportViolation) => {
      if (ruleTypes.includes(args.type)) check(args.props as T, (message) => reportViolation(message))
    },
  }
}

/** A Deployment's or Job's pod spec with every container (init containers included). */
function pod(props: IDeployment | IJob): { spec: IPodSpec; containers: IContainer[] } {
  const spec = props.spec?.template?.spec ?? { containers: [] }
  return { spec, containers: [...(spec.initContainers ?? []), ...spec.containers] }
}

const digestPinned = /^[^:@]+(:\d+)?(\/[^:@]+)*@sha256:[a-f0-9]{64}$/
const secretName = /PASSWORD|SECRET|PRIVATE|_KEY$|^DATABASE_URL$/i
const secretValue = /-----BEGIN [A-Z ]*PRIVATE KEY-----|:\/\/[^/\s:@]+:[^/\s@]+@/

export const resourceRules: ResourceRule[] = [
  rule<IDeployment | IJob>(
    'image-pinned-by-digest',
    'Every container image is repository@sha256:<digest>, never a tag.',
    workloads,
    (props, report) => {
      for (const c of pod(props).containers) {
        if (!digestPinned.test(c.image ?? ''))
          report(`container ${c.name}: image "${c.image}" is not pinned by digest`)
      }
    },
  ),
  rule<IDeployment | IJob>(
    'restricted-security-context',
    'Pods run as non-root with seccomp RuntimeDefault; containers have a read-only root filesystem, ' +
      'no privilege escalation and drop all capabilities.',
    workloads,
    (props, report) => {
      const { spec, containers } = pod(props)
      if (spec.hostNetwork || spec.hostPID || spec.hostIPC) report('pod shares a host namespace')
      for (const c of containers) {
        const sc = c.securityContext ?? {}
        const where = `container ${c.name}`
        if (!(sc.runAsNonRoot ?? spec.securityContext?.runAsNonRoot))
          report(`${where}: runAsNonRoot is not true`)
        const seccomp = sc.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type
        if (seccomp !== 'RuntimeDefault') report(`${where}: seccomp profile is not RuntimeDefault`)
        if (sc.readOnlyRootFilesystem !== true) report(`${where}: root filesystem is not read-only`)
        if (sc.allowPrivilegeEscalation !== false) report(`${where}: privilege escalation is not disabled`)
        if (sc.privileged) report(`${where}: runs privileged`)
        if (!sc.capabilities?.drop?.includes('ALL')) report(`${where}: does not drop ALL capabilities`)
        if (sc.capabilities?.add?.length) report(`${where}: adds capabilities`)
      }
    },
  ),
  rule<IDeployment | IJob>(
    'requests-and-limits',
    'Every container requests and limits CPU and memory.',
    workloads,
    (props, report) => {
      for (const c of pod(props).containers) {
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (c.resources?.[kind]?.[resource] === undefined)
              report(`container ${c.name}: no ${resource} ${kind}`)
          }
        }
      }
    },
  ),
  rule<IDeployment>(
    'health-probes',
    `Every Deployment container has startup and liveness probes on ${service.liveRoute} and a readiness probe on ${service.readyRoute}.`,
    [types.deployment],
    (props, report) => {
      for (const c of pod(props).containers) {
        const expected = [
          ['startupProbe', service.liveRoute],
          ['livenessProbe', service.liveRoute],
          ['readinessProbe', service.readyRoute],
        ] as const
        for (const [probe, path] of expected) {
          if (c[probe]?.httpGet?.path !== path)
            report(`container ${c.name}: ${probe} is not an HTTP GET of ${path}`)
        }
      }
    },
  ),
  rule<IDeployment>(
    'rolling-update-keeps-capacity',
    'Deployments roll with RollingUpdate and maxUnavailable 0.',
    [types.deployment],
    (props, report) => {
      const strategy = props.spec?.strategy
      const maxUnavailable = strategy?.rollingUpdate?.maxUnavailable
      if (strategy?.type !== 'RollingUpdate' || !(maxUnavailable === 0 || maxUnavailable === '0%')) {
        report('strategy must be RollingUpdate with maxUnavailable: 0')
      }
    },
  ),
  rule<IDeployment | IJob>(
    'grace-period-exceeds-drain',
    'terminationGracePeriodSeconds is set and longer than the shutdown drain (SHUTDOWN_GRACE_MS).',
    workloads,
    (props, report) => {
      const { spec, containers } = pod(props)
      const drainMs = Math.max(
        ...containers.map((c) =>
          Number(c.env?.find((e) => e.name === 'SHUTDOWN_GRACE_MS')?.value ?? service.shutdownGraceMs),
        ),
      )
      const grace = spec.terminationGracePeriodSeconds
      if (grace === undefined || grace * 1000 <= drainMs) {
        report(`terminationGracePeriodSeconds (${grace}) must exceed the ${drainMs} ms drain`)
      }
    },
  ),
  rule<IServiceAccount | IDeployment | IJob>(
    'no-service-account-token',
    'Service accounts and pods do not mount a Kubernetes API token.',
    [types.serviceAccount, ...workloads],
    (props, report) => {
      const automount =
        props.kind === 'ServiceAccount'
          ? (props as IServiceAccount).automountServiceAccountToken
          : pod(props as IDeployment | IJob).spec.automountServiceAccountToken
      if (automount !== false) report('automountServiceAccountToken must be false')
    },
  ),
  rule<IDeployment | IJob | IConfigMap>(
    'secrets-by-reference',
    'Secret values reach pods only through Secret references: never as literal env values or ConfigMap data.',
    [...workloads, types.configMap],
    (props, report) => {
      const literals: [string, string][] =
        props.kind === 'ConfigMap'
          ? Object.entries((props as IConfigMap).data ?? {})
          : pod(props as IDeployment | IJob).containers.flatMap((c) =>
              (c.env ?? []).flatMap((e): [string, string][] =>
                e.value === undefined ? [] : [[e.name, e.value]],
              ),
            )
      for (const [name, value] of literals) {
        // A connection string without a password names a server; its password comes from a Secret (PGPASSWORD).
        const credentialFree = name === 'DATABASE_URL' && !secretValue.test(value)
        if (secretName.test(name) && !credentialFree)
          report(`${name} is set in plain text; reference a Secret instead`)
        else if (secretValue.test(value)) report(`${name} holds what looks like a credential`)
      }
    },
  ),
  rule<IConfigMap>(
    'certification-reset-only-for-test-eboxes',
    'CERTIFICATION_RESET_ENABLED (rewrites e-Boxes) is true only with CERTIFICATION_TEST_EBOXES naming the test e-Boxes.',
    [types.configMap],
    (props, report) => {
      const data = props.data ?? {}
      if (data.CERTIFICATION_RESET_ENABLED === 'true' && !data.CERTIFICATION_TEST_EBOXES?.trim()) {
        report('CERTIFICATION_RESET_ENABLED is true without CERTIFICATION_TEST_EBOXES')
      }
    },
  ),
  rule<IIngress>(
    'ingress-tls',
    'Every Ingress host is served over TLS with a certificate Secret.',
    [types.ingress],
    (props, report) => {
      const tls = props.spec?.tls ?? []
      const covered = new Set(tls.filter((t) => t.secretName).flatMap((t) => t.hosts ?? []))
      const hosts = (props.spec?.rules ?? []).map((r) => r.host)
      if (hosts.length === 0) report('Ingress has no host rule')
      for (const host of hosts) if (!host || !covered.has(host)) report(`host ${host ?? '(any)'} has no TLS`)
    },
  ),
  rule<IDeployment>(
    'topology-spread-in-production',
    'Production Deployments spread their pods across nodes.',
    [types.deployment],
    (props, report) => {
      if (props.metadata?.labels?.[environmentLabel] !== 'production') return
      const spread = pod(props).spec.topologySpreadConstraints ?? []
      if (
        !spread.some(
          (c) => c.topologyKey === 'kubernetes.io/hostname' && c.whenUnsatisfiable === 'DoNotSchedule',
        )
      ) {
        report('no topology spread constraint across nodes (kubernetes.io/hostname, DoNotSchedule)')
      }
    },
  ),
  rule<INetworkPolicy>(
    'network-policy-scoped',
    'NetworkPolicies state their types, name the peers of every rule, and never open to the whole internet.',
    [types.networkPolicy],
    (props, report) => {
      const spec = props.spec
      if (!spec?.policyTypes?.length) report('policyTypes must be explicit')
      for (const rule of spec?.ingress ?? [])
        if (!rule.from?.length) report('an ingress rule allows every source')
      for (const rule of spec?.egress ?? []) {
        if (!rule.to?.length) report('an egress rule allows every destination')
        if (!rule.ports?.length) report('an egress rule allows every port')
      }
      const peers = [
        ...(spec?.ingress ?? []).flatMap((r) => r.from ?? []),
        ...(spec?.egress ?? []).flatMap((r) => r.to ?? []),
      ]
      for (const peer of peers) {
        if (peer.ipBlock && ['0.0.0.0/0', '::/0'].includes(peer.ipBlock.cidr))
          report(`${peer.ipBlock.cidr} is not a scope`)
      }
    },
  ),
  rule<IHorizontalPodAutoscaler>(
    'autoscaler-v2',
    'HorizontalPodAutoscalers use autoscaling/v2, scale on a resource metric, and have sane bounds.',
    types.autoscalers,
    (props, report) => {
      if (props.apiVersion !== 'autoscaling/v2') report(`use autoscaling/v2, not ${props.apiVersion}`)
      const spec = props.spec
      if (!spec?.metrics?.some((m) => m.type === 'Resource')) report('no resource metric to scale on')
      if (!(spec && (spec.minReplicas ?? 1) >= 1 && (spec.minReplicas ?? 1) <= spec.maxReplicas)) {
        report('minReplicas must be at least 1 and at most maxReplicas')
      }
    },
  ),
]

function stackRule(
  name: string,
  description: string,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => void,
): StackValidationPolicy {
  return { name, description, enforcementLevel: 'mandatory', validateStack }
}

export const stackRules: StackValidationPolicy[] = [
  stackRule(
    'default-deny-network-policy',
    'The namespace denies all ingress and egress unless another NetworkPolicy allows it.',
    (args, report) => {
      const denyAll = args.resources.some((r) => {
        if (r.type !== types.networkPolicy) return false
        const spec = (r.props as INetworkPolicy).spec
        const selector = spec?.podSelector ?? {}
        return (
          !selector.matchLabels &&
          !selector.matchExpressions &&
          (['Ingress', 'Egress'] as const).every((t) => spec?.policyTypes?.includes(t)) &&
          !spec?.ingress?.length &&
          !spec?.egress?.length
        )
      })
      if (!denyAll) report('no default-deny NetworkPolicy (empty podSelector, both policy types, no rules)')
    },
  ),
  stackRule(
    'migration-before-rollout',
    'Every Deployment depends on the migration Job, so a failed migration stops the rollout.',
    (args, report) => {
      for (const r of args.resources.filter((r) => r.type === types.deployment)) {
        if (!r.dependencies.some((d) => d.type === types.job))
          report(`Deployment ${r.name} does not wait for a migration Job`, r.urn)
      }
    },
  ),
]

resourceRules.push(...dataTierResourceRules)
stackRules.push(...dataTierStackRules)

export const policies = [...resourceRules, ...stackRules]
