import { createHash } from 'node:crypto'
import {
  COMMANDS,
  DEFAULT_PORTS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  HEALTH_PATHS,
  type VariableName,
} from '@ebox/deployment'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule'
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { IContainer } from 'kubernetes-models/v1/Container'
import type { INamespace } from 'kubernetes-models/v1/Namespace'
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec'
import type { ISecret } from 'kubernetes-models/v1/Secret'
import type { IService } from 'kubernetes-models/v1/Service'
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { managedSecretName, type SecretRef, type Settings } from './config.ts'
import {
  buildDataTier,
  type CustomObject,
  connectionBudget,
  databaseEgress,
  databaseWiring,
} from './database.ts'
import { monitoringObjects } from './monitoring.ts'
import { objectStorageEgress, objectStorageEnv, objectStorageSecretEnv } from './object-storage.ts'

/** Facts about the service image (apps/registry), from @ebox/deployment: ports, health routes, shutdown drain. */
export const service = {
  httpPort: DEFAULT_PORTS.http,
  metricsPort: DEFAULT_PORTS.metrics,
  liveRoute: HEALTH_PATHS.live,
  readyRoute: HEALTH_PATHS.ready,
  shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS,
  /** Publication limits (PUBLICATION_MAX_REQUEST_BYTES, HTTP_REQUEST_TIMEOUT_MS); the ingress lets as much through. */
  maxRequestBytes: 250 * 1024 * 1024,
  requestTimeoutSeconds: 300,
  /**
   * Publication staging (PUBLICATION_STAGING_*): files over 2 MiB wait on a volume of their own until their commit.
   * The service refuses (503) past `diskBytes`; the volume's limit is a little larger, so the kubelet never evicts
   * a pod for what the service would have refused. In memory: at most `memoryBytes`, inside the pod's memory limit.
   */
  staging: { dir: '/var/lib/ebox/staging', diskBytes: 2 * 1024 ** 3, memoryBytes: 64 * 1024 ** 2 },
  /** The image's `node` user; numeric so the kubelet can check runAsNonRoot. */
  uid: 1000,
}
/** Longer than the drain, so Kubernetes never kills a pod that is still finishing requests. */
export const terminationGracePeriodSeconds = 30
/** Written in place of a Pulumi secret wherever the value itself cannot be shown (render, review). */
export const secretPlaceholder = '(set from a Pulumi secret)'

export const names = {
  app: 'ebox-registry',
  serviceAccount: 'registry',
  registry: 'registry',
  worker: 'registry-worker',
}
/** Label the policy pack reads to know a resource belongs to production. */
export const environmentLabel = 'ebox-registry/environment'

type Component = 'api' | 'worker' | 'migrate'
/** One image, three processes: the subcommand each component runs. */
const commands: Record<Component, string> = {
  api: COMMANDS.serve,
  worker: COMMANDS.worker,
  migrate: COMMANDS.migrate,
}

export interface Manifests {
  namespace: INamespace
  serviceAccount: IServiceAccount
  config: IConfigMap
  /** Only when a secret is set as a Pulumi secret; the program fills in the values. */
  secret?: ISecret
  networkPolicies: INetworkPolicy[]
  migration: IJob
  registry: IDeployment
  worker: IDeployment
  service: IService
  ingress: IIngress
  autoscaler: IHorizontalPodAutoscaler
  disruptionBudget: IPodDisruptionBudget
  workerDisruptionBudget: IPodDisruptionBudget
  /** Headless Service of the worker: its metrics port, for the ServiceMonitor. */
  workerService: IService
  /** CloudNativePG Cluster(s) and ScheduledBackup, or the DNS-name egress policy of an external database. */
  dataTier: CustomObject[]
  serviceMonitor?: CustomObject
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata?: { name?: string; namespace?: string }
}

/** First 10 hex digits of the SHA-256 of a value's JSON: the suffix of content-addressed names. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 10)
}

/** Every manifest of a stack, in the order they can be applied. */
export function manifestList(m: Manifests): KubeObject[] {
  return [
    m.namespace,
    m.serviceAccount,
    m.config,
    ...(m.secret ? [m.secret] : []),
    ...m.networkPolicies,
    ...m.dataTier,
    m.migration,
    m.registry,
    m.worker,
    m.service,
    m.workerService,
    m.ingress,
    m.autoscaler,
    m.disruptionBudget,
    m.workerDisruptionBudget,
    ...(m.serviceMonitor ? [m.serviceMonitor] : []),
  ]
}

export function buildManifests(s: Settings): Manifests {
  const labels = { 'app.kubernetes.io/name': names.app, [environmentLabel]: s.environment }
  const selector = (component: Component) => ({
    'app.kubernetes.io/name': names.app,
    'app.kubernetes.io/component': component,
  })
  const meta = (name: string, component?: Component) => ({
    name,
    namespace: s.namespace,
    labels: { ...labels, ...(component ? selector(component) : {}) },
  })

  const configData = runtimeEnv(s)
  const config: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    // A new name for new content: the pod templates change with it, so a config change rolls the pods. Never
    // changed in place, and kept after the next rollout (component.ts), so `kubectl rollout undo` finds it.
    metadata: meta(`registry-config-${contentHash(configData)}`),
    immutable: true,
    data: configData,
  }
  const budget = connectionBudget(s)
  const serviceUrl = s.secrets.databaseUrl ?? { name: managedSecretName, key: 'database-url' }
  const wiring = databaseWiring(s.database, { name: serviceUrl.name, key: serviceUrl.key })
  const appLabel = { 'app.kubernetes.io/name': names.app }
  const dataTier = buildDataTier(s.database, {
    namespace: s.namespace,
    environment: s.environment,
    appLabel,
    meta,
    autoscaling: s.autoscaling,
    workerReplicas: s.workerReplicas,
    ...(s.monitoring ? { monitoring: s.monitoring } : {}),
  })
  const monitoring =
    s.monitoring && monitoringObjects(s.monitoring, { meta, appLabel, metricsPort: service.metricsPort })

  const managed = Object.values(s.secrets).filter((ref) => ref.managed)
  const secret: ISecret | undefined =
    managed.length === 0
      ? undefined
      : {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: meta(managedSecretName),
          type: 'Opaque',
          stringData: Object.fromEntries(managed.map((ref) => [ref.key, secretPlaceholder])),
        }

  const container = (component: Component): IContainer => ({
    name: component === 'api' ? 'registry' : component,
    image: s.image,
    args: [commands[component]],
    envFrom: [{ configMapRef: { name: config.metadata!.name! } }],
    env: [
      // Beside terminationGracePeriodSeconds, which must outlast it.
      { name: 'SHUTDOWN_GRACE_MS' satisfies VariableName, value: String(service.shutdownGraceMs) },
      // The migration Job connects as the schema's owner, the service and the worker as the DML-only role.
      ...(component === 'migrate'
        ? [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: wiring.migrationUrl } }]
        : wiring.serviceEnv),
      // Sized with max_connections (src/database.ts, connectionBudget).
      ...(component === 'api' ? [{ name: 'DB_POOL_MAX', value: String(budget.apiPoolMax) }] : []),
      ...(component === 'worker'
        ? [
            { name: 'DB_POOL_MAX', value: String(budget.workerPoolMax) },
            { name: 'WORKER_CONCURRENCY', value: String(budget.workerConcurrency) },
          ]
        : []),
      // The migration needs the database only: it never sees the OAuth client key.
      ...(component === 'migrate' ? [] : [secretEnv('OAUTH_CLIENT_KEY', s.secrets.oauthClientKey)]),
      ...(component === 'migrate' ? [] : objectStorageSecretEnv(s.objectStorage)),
    ],
    resources: s.resources,
    securityContext: {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      ...(component === 'api' ? [{ name: 'staging', mountPath: service.staging.dir }] : []),
    ],
    ...(component === 'migrate'
      ? {}
      : {
          ports: [
            { name: 'http', containerPort: service.httpPort, protocol: 'TCP' },
            { name: 'metrics', containerPort: service.metricsPort, protocol: 'TCP' },
          ],
          // Up to 60 s to start; then liveness restarts a stuck process and readiness takes it out of the Service.
          startupProbe: httpProbe(service.liveRoute, { periodSeconds: 2, failureThreshold: 30 }),
          livenessProbe: httpProbe(service.liveRoute, { periodSeconds: 10, failureThreshold: 3 }),
          readinessProbe: httpProbe(service.readyRoute, { periodSeconds: 5, failureThreshold: 2 }),
        }),
  })

  const podTemplate = (component: Component): IPodTemplateSpec => ({
    metadata: { labels: { ...labels, ...selector(component) } },
    spec: {
      serviceAccountName: names.serviceAccount,
      automountServiceAccountToken: false,
      ...(s.imagePullSecrets?.length
        ? { imagePullSecrets: s.imagePullSecrets.map((name) => ({ name })) }
        : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: service.uid,
        runAsGroup: service.uid,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      terminationGracePeriodSeconds,
      containers: [container(component)],
      // Node and its libraries may write temporary files; the root filesystem stays read-only.
      volumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        ...(component === 'api' ? [{ name: 'staging', emptyDir: { sizeLimit: stagingVolumeLimit() } }] : []),
      ],
      ...(component === 'migrate' ? { restartPolicy: 'Never' } : {}),
      ...(s.environment === 'production' && component !== 'migrate'
        ? {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'DoNotSchedule',
                // Tainted nodes the pods cannot run on do not count as empty domains.
                nodeTaintsPolicy: 'Honor',
                labelSelector: { matchLabels: selector(component) },
              },
              // And across zones: a zone outage takes at most a third of the pods (with three zones).
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'DoNotSchedule',
                nodeTaintsPolicy: 'Honor',
                labelSelector: { matchLabels: selector(component) },
              },
            ],
          }
        : {}),
    },
  })

  const deployment = (name: string, component: Component, replicas: number): IDeployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, component),
    spec: {
      replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(component) },
      // Never below the current capacity during a rollout: one extra pod at a time.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: podTemplate(component),
    },
  })

  const migrationTemplate = podTemplate('migrate')
  const migration: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    // Jobs are immutable and run once: a new image or config gets a new Job, an unchanged one none.
    metadata: {
      ...meta(`registry-migrate-${contentHash(migrationTemplate)}`, 'migrate'),
      // A Job that failed (say, the database was down) is run again by the next `pulumi up`.
      annotations: { 'pulumi.com/replaceUnready': 'true' },
    },
    spec: { backoffLimit: 2, activeDeadlineSeconds: 600, template: migrationTemplate },
  }

  return {
    namespace: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: s.namespace,
        // The API server itself refuses pods that break the restricted Pod Security Standard.
        labels: { ...labels, 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    },
    serviceAccount: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        ...meta(names.serviceAccount),
        // IRSA / workload identity: the role the pods use for the bucket (src/object-storage.ts).
        ...(s.objectStorage?.serviceAccountAnnotations && {
          annotations: s.objectStorage.serviceAccountAnnotations,
        }),
      },
      automountServiceAccountToken: false,
    },
    config,
    ...(secret ? { secret } : {}),
    networkPolicies: [
      ...networkPolicies(s, meta, selector),
      ...dataTier.networkPolicies,
      ...(monitoring ? [monitoring.networkPolicy] : []),
    ],
    dataTier: [...dataTier.objects, ...dataTier.fqdnPolicies],
    ...(monitoring ? { serviceMonitor: monitoring.serviceMonitor } : {}),
    migration,
    registry: deployment(names.registry, 'api', s.replicas),
    worker: deployment(names.worker, 'worker', s.workerReplicas),
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.registry, 'api'),
      spec: {
        type: 'ClusterIP',
        selector: selector('api'),
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
          { name: 'metrics', port: service.metricsPort, targetPort: 'metrics', protocol: 'TCP' },
        ],
      },
    },
    workerService: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(names.worker, 'worker'),
      spec: {
        clusterIP: 'None',
        selector: selector('worker'),
        ports: [{ name: 'metrics', port: service.metricsPort, targetPort: 'metrics', protocol: 'TCP' }],
      },
    },
    ingress: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        ...meta(names.registry, 'api'),
        annotations: { ...ingressLimits(), ...s.ingress.annotations },
      },
      spec: {
        ingressClassName: s.ingress.className,
        tls: [{ hosts: [s.ingress.host], secretName: s.ingress.tlsSecretName }],
        rules: [
          {
            host: s.ingress.host,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: names.registry, port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
    autoscaler: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(names.registry, 'api'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.registry },
        minReplicas: s.autoscaling.minReplicas,
        maxReplicas: s.autoscaling.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: s.autoscaling.cpuUtilization },
            },
          },
        ],
      },
    },
    disruptionBudget: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.registry, 'api'),
      // One pod at a time: node drains proceed even with a single replica in acc.
      spec: { maxUnavailable: 1, selector: { matchLabels: selector('api') } },
    },
    workerDisruptionBudget: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.worker, 'worker'),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector('worker') } },
    },
  }
}

/** The service's environment, except secrets and SHUTDOWN_GRACE_MS (set on the container). */
function runtimeEnv(s: Settings): Record<string, string> {
  // Only variables the image declares: a misspelt or retired name does not compile.
  const env: Partial<Record<VariableName, string>> = {
    EBOX_ENVIRONMENT: s.environment,
    HOST: '0.0.0.0',
    PORT: String(service.httpPort),
    METRICS_PORT: String(service.metricsPort),
    LOG_LEVEL: s.logLevel,
    OAUTH_MODE: s.oauth.mode,
    OAUTH_TOKEN_URL: s.oauth.tokenUrl,
    OAUTH_CLIENT_ID: s.oauth.clientId,
    OAUTH_INTROSPECTION_URL: s.oauth.introspectionUrl,
    OAUTH_ISSUER: s.oauth.issuer,
    OAUTH_AUDIENCE: s.oauth.audience,
    OAUTH_JWKS_URL: s.oauth.jwksUrl,
    EES_URL: s.ees.url,
    PARTITION_SERVICE_URL: s.partitionService.url,
    CORS_ORIGINS: s.corsOrigins.join(','),
    // Keys checked against the image's variables by readSettings (config.ts).
    ...(s.federationProfile as Partial<Record<VariableName, string>> | undefined),
    CERTIFICATION_RESET_ENABLED: s.certificationReset ? 'true' : undefined,
    CERTIFICATION_TEST_EBOXES: s.certificationTestEboxes?.join(','),
    // The pods are reachable only through the ingress controller: one proxy whose X-Forwarded-For is true.
    TRUST_PROXY_HOPS: '1',
    ...objectStorageEnv(s.objectStorage),
    // The same limits as the ingress's (ingressLimits).
    PUBLICATION_MAX_REQUEST_BYTES: String(service.maxRequestBytes),
    HTTP_REQUEST_TIMEOUT_MS: String(service.requestTimeoutSeconds * 1000),
    // On the api pods' staging volume, refused before it is full (stagingVolumeLimit).
    PUBLICATION_STAGING_DIR: service.staging.dir,
    PUBLICATION_STAGING_MAX_BYTES: String(service.staging.diskBytes),
    PUBLICATION_STAGING_MEMORY_MAX_BYTES: String(service.staging.memoryBytes),
  }
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  )
}

/** The staging volume's size limit: what the service admits, plus room for the file system's own blocks. */
export function stagingVolumeLimit(): string {
  return `${Math.ceil((service.staging.diskBytes * 1.05) / 1024 ** 2)}Mi`
}

/**
 * ingress-nginx lets a publication through whole: its body limit (default 1 MiB) and timeouts (default 60 s) match
 * the service's; the body streams to the pod instead of being spooled to the controller's disk first.
 */
export function ingressLimits(): Record<string, string> {
  return {
    'nginx.ingress.kubernetes.io/proxy-body-size': `${service.maxRequestBytes / (1024 * 1024)}m`,
    'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': String(service.requestTimeoutSeconds),
    'nginx.ingress.kubernetes.io/proxy-send-timeout': String(service.requestTimeoutSeconds),
  }
}

function secretEnv(name: VariableName, ref: SecretRef) {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }
}

function httpProbe(path: string, timing: { periodSeconds: number; failureThreshold: number }) {
  return { httpGet: { path, port: 'http' }, timeoutSeconds: 2, ...timing }
}

function networkPolicies(
  s: Settings,
  meta: (name: string) => INetworkPolicy['metadata'],
  selector: (component: Component) => Record<string, string>,
): INetworkPolicy[] {
  const policy = (name: string, spec: INetworkPolicy['spec']): INetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name),
    spec,
  })
  const toCidrs = (cidrs: string[], port: number): INetworkPolicyEgressRule => ({
    to: cidrs.map((cidr) => ({ ipBlock: { cidr } })),
    ports: [{ protocol: 'TCP', port }],
  })
  const httpsPort = (url: string) => Number(new URL(url).port || 443)

  return [
    // Nothing in or out unless a policy below allows it.
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy('allow-ingress-controller', {
      podSelector: { matchLabels: selector('api') },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': s.ingress.controllerNamespace },
              },
              podSelector: { matchLabels: s.ingress.controllerPodLabels },
            },
          ],
          ports: [{ protocol: 'TCP', port: service.httpPort }],
        },
      ],
    }),
    // Every pod, the migration included: name resolution and the database.
    policy('allow-egress-dns-postgres', {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': names.app } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        ...databaseEgress(s.database),
      ],
    }),
    // Only the registry and the worker call the federation: OAuth, EES and the Partition service.
    policy('allow-egress-federation', {
      podSelector: {
        matchLabels: { 'app.kubernetes.io/name': names.app },
        matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] }],
      },
      policyTypes: ['Egress'],
      egress: [
        toCidrs(s.oauth.cidrs, httpsPort(s.oauth.tokenUrl)),
        toCidrs(s.ees.cidrs, httpsPort(s.ees.url)),
        toCidrs(s.partitionService.cidrs, httpsPort(s.partitionService.url)),
      ],
    }),
    ...objectStorageEgress(s.objectStorage, meta, names.app),
  ]
}
