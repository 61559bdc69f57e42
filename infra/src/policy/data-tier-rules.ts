/**
 * Policies of the data tier and of the cluster wiring (issue 16): production PostgreSQL is highly available and
 * backed up, the connection budget fits max_connections, every Deployment has a disruption budget, production
 * pods spread across zones, and the ingress lets a whole publication through.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from '@pulumi/policy'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import type { IContainer } from 'kubernetes-models/v1/Container'
import { budgetFacts } from '../database.ts'
import { environmentLabel, service } from '../manifests.ts'
import type { ResourceRule } from './rules.ts'

export const dataTierTypes = {
  cluster: 'kubernetes:postgresql.cnpg.io/v1:Cluster',
  scheduledBackup: 'kubernetes:postgresql.cnpg.io/v1:ScheduledBackup',
  deployment: 'kubernetes:apps/v1:Deployment',
  ingress: 'kubernetes:networking.k8s.io/v1:Ingress',
  pdb: 'kubernetes:policy/v1:PodDisruptionBudget',
  hpa: 'kubernetes:autoscaling/v2:HorizontalPodAutoscaler',
}

/** The fields of a CloudNativePG Cluster the rules read. */
interface ClusterProps {
  metadata?: { name?: string; labels?: Record<string, string> }
  spec?: {
    instances?: number
    minSyncReplicas?: number
    postgresql?: { parameters?: Record<string, string>; synchronous?: { number?: number } }
    affinity?: { topologyKey?: string; podAntiAffinityType?: string }
    backup?: { retentionPolicy?: string; barmanObjectStore?: { destinationPath?: string } }
    plugins?: { name?: string; isWALArchiver?: boolean }[]
  }
}
interface ScheduledBackupProps {
  spec?: { cluster?: { name?: string }; schedule?: string; suspend?: boolean }
}

const production = (props: { metadata?: { labels?: Record<string, string> } }) =>
  props.metadata?.labels?.[environmentLabel] === 'production'

function resourceRule<T>(
  name: string,
  description: string,
  types: string[],
  check: (props: T, report: (message: string) => void) => void,
): ResourceRule {
  return {
    name,
    description,
    enforcementLevel: 'mandatory',
    types,
    validateResource: (args, reportViolation) => {
      if (types.includes(args.type)) check(args.props as T, (message) => reportViolation(message))
    },
  }
}

/** Whether a Cluster archives WAL and keeps base backups (in-tree barman-cloud, or the Barman Cloud plugin). */
export function clusterBackedUp(cluster: ClusterProps): boolean {
  const spec = cluster.spec
  const inTree = Boolean(spec?.backup?.barmanObjectStore?.destinationPath && spec.backup.retentionPolicy)
  const plugin = spec?.plugins?.some((p) => p.isWALArchiver) ?? false
  return inTree || plugin
}

/** The megabytes of a `250m` / `1g` / `262144000` ingress-nginx size. */
function bodySizeBytes(size: string | undefined): number {
  if (size === undefined) return 1024 * 1024 // ingress-nginx's default
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim())
  if (!match) return 0
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g']
  return Number(match[1]) * unit
}

export const dataTierResourceRules: ResourceRule[] = [
  resourceRule<ClusterProps>(
    'production-database-ha-and-backup',
    'A production PostgreSQL cluster has at least 3 instances spread across zones, a synchronous standby, ' +
      'continuous WAL archiving and base backups with a retention policy.',
    [dataTierTypes.cluster],
    (props, report) => {
      if (!production(props)) return
      const spec = props.spec ?? {}
      if ((spec.instances ?? 1) < 3)
        report(`instances is ${spec.instances ?? 1}, production needs at least 3`)
      const synchronous = spec.postgresql?.synchronous?.number ?? spec.minSyncReplicas ?? 0
      if (synchronous < 1) report('no synchronous standby (postgresql.synchronous.number >= 1)')
      if (spec.affinity?.topologyKey !== 'topology.kubernetes.io/zone')
        report('instances are not kept apart by zone (affinity.topologyKey topology.kubernetes.io/zone)')
      if (!clusterBackedUp(props))
        report('no backup: WAL archiving and base backups to object storage with a retention policy')
    },
  ),
  resourceRule<IDeployment>(
    'zone-spread-in-production',
    'Production Deployments spread their pods across zones.',
    [dataTierTypes.deployment],
    (props, report) => {
      if (!production(props)) return
      const spread = props.spec?.template?.spec?.topologySpreadConstraints ?? []
      if (!spread.some((c) => c.topologyKey === 'topology.kubernetes.io/zone'))
        report('no topology spread constraint across zones (topology.kubernetes.io/zone)')
    },
  ),
  resourceRule<IIngress>(
    'ingress-accepts-publications',
    `ingress-nginx accepts a request body of ${service.maxRequestBytes} bytes (a whole publication) and waits ` +
      `${service.requestTimeoutSeconds} s for it.`,
    [dataTierTypes.ingress],
    (props, report) => {
      const annotations = (props.metadata?.annotations ?? {}) as Record<string, string>
      const size = annotations['nginx.ingress.kubernetes.io/proxy-body-size']
      if (size !== '0' && bodySizeBytes(size) < service.maxRequestBytes)
        report(`proxy-body-size ${size ?? '(default 1m)'} is below ${service.maxRequestBytes} bytes`)
      for (const timeout of ['proxy-read-timeout', 'proxy-send-timeout']) {
        const seconds = Number(annotations[`nginx.ingress.kubernetes.io/${timeout}`] ?? 60)
        if (seconds < service.requestTimeoutSeconds)
          report(`${timeout} ${seconds} s is below ${service.requestTimeoutSeconds} s`)
      }
    },
  ),
]

function stackRule(
  name: string,
  description: string,
  validate: (resources: PolicyResource[], report: ReportViolation) => void,
): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: 'mandatory',
    validateStack: (args, report) => validate(args.resources, report),
  }
}

const ofType = <T>(resources: PolicyResource[], type: string) =>
  resources.filter((r) => r.type === type).map((r) => ({ resource: r, props: r.props as T }))

/** A container's literal env value. */
const envValue = (container: IContainer | undefined, name: string) =>
  container?.env?.find((e) => e.name === name)?.value

export const dataTierStackRules: StackValidationPolicy[] = [
  stackRule(
    'production-database-scheduled-backup',
    'Every production PostgreSQL cluster has an active ScheduledBackup.',
    (resources, report) => {
      const schedules = ofType<ScheduledBackupProps>(resources, dataTierTypes.scheduledBackup)
      for (const { resource, props } of ofType<ClusterProps>(resources, dataTierTypes.cluster)) {
        if (!production(props)) continue
        const name = props.metadata?.name
        const scheduled = schedules.some(
          (s) => s.props.spec?.cluster?.name === name && !s.props.spec?.suspend,
        )
        if (!scheduled) report(`Cluster ${name} has no ScheduledBackup`, resource.urn)
      }
    },
  ),
  stackRule(
    'connection-budget',
    'PostgreSQL max_connections covers every pool at the HPA maximum plus one rollout surge: API pods ' +
      '(DB_POOL_MAX + the LISTEN connection), worker pods (DB_POOL_MAX), the migration, and reserved connections.',
    (resources, report) => {
      const deployments = ofType<IDeployment>(resources, dataTierTypes.deployment)
      const container = (component: string) =>
        deployments.find(
          (d) => d.props.spec?.template?.metadata?.labels?.['app.kubernetes.io/component'] === component,
        )
      const api = container('api')
      const worker = container('worker')
      const hpa = ofType<IHorizontalPodAutoscaler>(resources, dataTierTypes.hpa)[0]
      for (const { resource, props } of ofType<ClusterProps>(resources, dataTierTypes.cluster)) {
        const maxConnections = Number(props.spec?.postgresql?.parameters?.max_connections ?? 100)
        const apiPool = Number(envValue(api?.props.spec?.template?.spec?.containers[0], 'DB_POOL_MAX') ?? 10)
        const workerPool = Number(
          envValue(worker?.props.spec?.template?.spec?.containers[0], 'DB_POOL_MAX') ?? 10,
        )
        const apiPods = (hpa?.props.spec?.maxReplicas ?? api?.props.spec?.replicas ?? 1) + budgetFacts.surge
        const workerPods = (worker?.props.spec?.replicas ?? 1) + budgetFacts.surge
        const needed =
          apiPods * (apiPool + budgetFacts.listenPerApiPod) +
          workerPods * workerPool +
          budgetFacts.migration +
          budgetFacts.reserved
        if (needed > maxConnections) {
          report(
            `Cluster ${props.metadata?.name}: max_connections ${maxConnections} < ${needed} needed ` +
              `(${apiPods} API pods × ${apiPool + 1}, ${workerPods} worker pods × ${workerPool}, ` +
              `migration ${budgetFacts.migration}, reserved ${budgetFacts.reserved})`,
            resource.urn,
          )
        }
      }
    },
  ),
  stackRule(
    'deployments-have-disruption-budgets',
    'Every Deployment is covered by a PodDisruptionBudget, so node drains take its pods one at a time.',
    (resources, report) => {
      const budgets = ofType<IPodDisruptionBudget>(resources, dataTierTypes.pdb)
      for (const { resource, props } of ofType<IDeployment>(resources, dataTierTypes.deployment)) {
        const labels = props.spec?.template?.metadata?.labels ?? {}
        const covered = budgets.some((b) => {
          const match = b.props.spec?.selector?.matchLabels
          return match && Object.entries(match).every(([key, value]) => labels[key] === value)
        })
        if (!covered) report(`Deployment ${props.metadata?.name} has no PodDisruptionBudget`, resource.urn)
      }
    },
  ),
]
