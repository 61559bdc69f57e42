/**
 * The data tier of a stack (pure, like `buildManifests`): a CloudNativePG `Cluster` with continuous WAL archiving
 * and base backups to object storage, its `ScheduledBackup`, an optional recovery `Cluster` (point-in-time
 * restore), the network policies its pods need, and the connection budget. Or, in `external` mode, only what the
 * registry needs to reach a managed PostgreSQL by DNS name. docs/operations.md, "Data tier".
 */
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { INetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule'
import type { CloudNativePgConfig, DatabaseConfig, ExternalDatabaseConfig } from './database-config.ts'

export const database = {
  cluster: 'registry-db',
  restore: 'registry-db-restore',
  scheduledBackup: 'registry-db-daily',
  name: 'registry',
  port: 5432,
  /** Owner of the database and of every object in it; used only by the migration Job. */
  migrationRole: 'registry_migrator',
  /** DML only (migration 0007_service_role.sql); the service logs in as it. */
  serviceRole: 'ebox_registry_service',
  /** kubernetes.io/basic-auth Secret with the service role's password (created by the operators). */
  serviceRoleSecret: 'registry-db-service',
  /** CloudNativePG's instance manager: status and backups, reached by the operator and the other instances. */
  statusPort: 8000,
  metricsPort: 9187,
  /** CloudNativePG 1.25+ (synchronous.dataDurability). */
  apiVersion: 'postgresql.cnpg.io/v1',
}

/** The Secret CloudNativePG writes for the database owner: keys username, password, uri, … */
export const ownerSecret = (cluster: string) => `${cluster}-app`
/** The read-write Service CloudNativePG keeps pointed at the current primary. */
export const readWriteService = (cluster: string) => `${cluster}-rw`

/**
 * Who holds connections at the HPA maximum, during a rollout (one extra pod: maxSurge 1): each API pod its pool
 * plus the LISTEN connection of the reference-data cache, each worker pod its pool (WORKER_CONCURRENCY + 1), the
 * migration Job one. `reserved` covers superuser_reserved_connections (3) and the operator, backups and metrics
 * exporter of CloudNativePG. max_connections is the sum, rounded up to ten.
 */
export interface ConnectionBudget {
  apiPods: number
  apiPoolMax: number
  perApiPod: number
  workerPods: number
  workerPoolMax: number
  workerConcurrency: number
  migration: number
  clients: number
  reserved: number
  maxConnections: number
}
export const budgetFacts = { surge: 1, listenPerApiPod: 1, workerConcurrency: 4, migration: 1, reserved: 10 }
export const defaultApiPoolMax = 10

export function connectionBudget(s: {
  autoscaling: { maxReplicas: number }
  workerReplicas: number
  database: DatabaseConfig
}): ConnectionBudget {
  const apiPoolMax = s.database.mode === 'cloudnative-pg' ? s.database.apiPoolMax : defaultApiPoolMax
  const apiPods = s.autoscaling.maxReplicas + budgetFacts.surge
  const perApiPod = apiPoolMax + budgetFacts.listenPerApiPod
  const workerPods = s.workerReplicas + budgetFacts.surge
  const workerPoolMax = budgetFacts.workerConcurrency + 1
  const clients = apiPods * perApiPod + workerPods * workerPoolMax + budgetFacts.migration
  return {
    apiPods,
    apiPoolMax,
    perApiPod,
    workerPods,
    workerPoolMax,
    workerConcurrency: budgetFacts.workerConcurrency,
    migration: budgetFacts.migration,
    clients,
    reserved: budgetFacts.reserved,
    maxConnections: Math.ceil((clients + budgetFacts.reserved) / 10) * 10,
  }
}

export interface CustomObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
  }
  spec: Record<string, unknown>
}

export interface DataTier {
  /** The clusters (the recovery one too, when configured) and the ScheduledBackup. */
  objects: CustomObject[]
  networkPolicies: INetworkPolicy[]
  /** Extra objects of external mode (CiliumNetworkPolicy by DNS name). */
  fqdnPolicies: CustomObject[]
  /** The cluster the workloads use. */
  activeCluster?: string
}

interface Context {
  namespace: string
  environment: 'acceptation' | 'production'
  appLabel: Record<string, string>
  meta: (name: string) => { name: string; namespace: string; labels: Record<string, string> }
  autoscaling: { maxReplicas: number }
  workerReplicas: number
  monitoring?: { namespace: string; podLabels: Record<string, string> }
}

/** Where the registry's pods connect, and with which credentials, in each mode. */
export interface DatabaseWiring {
  /** The service's env: DATABASE_URL (and PGPASSWORD) without any secret value inline. */
  serviceEnv: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]
  /** The migration Job's DATABASE_URL. */
  migrationUrl: { name: string; key: string }
}

export function databaseWiring(
  db: DatabaseConfig,
  serviceUrlRef: { name: string; key: string },
): DatabaseWiring {
  if (db.mode === 'external') {
    return {
      serviceEnv: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: serviceUrlRef } }],
      migrationUrl: db.migrationSecretRef,
    }
  }
  const cluster = activeCluster(db)
  return {
    serviceEnv: [
      // No password in the URL: node-postgres takes it from PGPASSWORD.
      {
        name: 'DATABASE_URL',
        value: `postgres://${database.serviceRole}@${readWriteService(cluster)}:${database.port}/${database.name}`,
      },
      {
        name: 'PGPASSWORD',
        valueFrom: { secretKeyRef: { name: database.serviceRoleSecret, key: 'password' } },
      },
    ],
    migrationUrl: { name: ownerSecret(cluster), key: 'uri' },
  }
}

function activeCluster(db: CloudNativePgConfig): string {
  return db.recovery?.promote ? database.restore : database.cluster
}

export function buildDataTier(db: DatabaseConfig, c: Context): DataTier {
  return db.mode === 'external' ? externalTier(db, c) : cloudNativePgTier(db, c)
}

/** Egress of the registry's pods to PostgreSQL (joined to the DNS rule of `allow-egress-dns-postgres`). */
export function databaseEgress(db: DatabaseConfig): INetworkPolicyEgressRule[] {
  const ports = [{ protocol: 'TCP' as const, port: db.mode === 'external' ? db.port : database.port }]
  if (db.mode === 'cloudnative-pg')
    return [{ to: [{ podSelector: { matchLabels: clusterPods(db) } }], ports }]
  if ('cidrs' in db.egress) return [{ to: db.egress.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports }]
  return [] // by DNS name: the CiliumNetworkPolicy of externalTier
}

/** Pods of the active cluster (CloudNativePG labels every instance with its cluster's name). */
function clusterPods(db: CloudNativePgConfig) {
  return { 'cnpg.io/cluster': activeCluster(db) }
}

function externalTier(db: ExternalDatabaseConfig, c: Context): DataTier {
  if (!('fqdn' in db.egress)) return { objects: [], networkPolicies: [], fqdnPolicies: [] }
  return {
    objects: [],
    networkPolicies: [],
    fqdnPolicies: [
      {
        apiVersion: 'cilium.io/v2',
        kind: 'CiliumNetworkPolicy',
        metadata: c.meta('allow-egress-database-fqdn'),
        spec: {
          endpointSelector: { matchLabels: c.appLabel },
          egress: [
            // Cilium learns the name's addresses from the DNS answers it proxies: the lookups must go through it.
            {
              toEndpoints: [
                {
                  matchLabels: {
                    'k8s:io.kubernetes.pod.namespace': 'kube-system',
                    'k8s:k8s-app': 'kube-dns',
                  },
                },
              ],
              toPorts: [
                {
                  ports: [
                    { port: '53', protocol: 'UDP' },
                    { port: '53', protocol: 'TCP' },
                  ],
                  rules: { dns: [{ matchName: db.host }] },
                },
              ],
            },
            {
              toFQDNs: [{ matchName: db.host }],
              toPorts: [{ ports: [{ port: String(db.port), protocol: 'TCP' }] }],
            },
          ],
        },
      },
    ],
  }
}

function barmanObjectStore(b: CloudNativePgConfig['backup'], serverName?: string) {
  return {
    destinationPath: b.destinationPath,
    ...(b.endpointURL ? { endpointURL: b.endpointURL } : {}),
    ...(serverName ? { serverName } : {}),
    s3Credentials: {
      accessKeyId: { name: b.credentialsSecret, key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: b.credentialsSecret, key: 'ACCESS_SECRET_KEY' },
    },
    wal: { compression: 'gzip', maxParallel: 2 },
    data: { compression: 'gzip', jobs: 2 },
  }
}

function cloudNativePgTier(db: CloudNativePgConfig, c: Context): DataTier {
  const production = c.environment === 'production'
  const budget = connectionBudget({
    autoscaling: c.autoscaling,
    workerReplicas: c.workerReplicas,
    database: db,
  })
  const zone = 'topology.kubernetes.io/zone'

  const clusterSpec = (name: string, bootstrap: Record<string, unknown>) => ({
    instances: db.instances,
    imageName: db.imageName,
    // Rolling updates of the instances restart the standbys first, then switch over to one of them.
    primaryUpdateStrategy: 'unsupervised',
    primaryUpdateMethod: 'switchover',
    postgresql: {
      parameters: {
        max_connections: String(budget.maxConnections),
        // Service statements are bounded by the pool (DB_STATEMENT_TIMEOUT_MS); this catches everything else.
        idle_in_transaction_session_timeout: '60s',
        log_lock_waits: 'true',
        log_min_duration_statement: '1s',
      },
      // A commit returns once one standby has it: a failover loses no acknowledged write. `required`: with no
      // standby left, writes wait rather than run without a copy.
      ...(db.instances > 1 ? { synchronous: { method: 'any', number: 1, dataDurability: 'required' } } : {}),
    },
    bootstrap,
    managed: {
      roles: [
        {
          name: database.serviceRole,
          ensure: 'present',
          login: true,
          inherit: true,
          superuser: false,
          createdb: false,
          createrole: false,
          replication: false,
          connectionLimit: budget.clients - budget.migration,
          passwordSecret: { name: database.serviceRoleSecret },
        },
      ],
    },
    storage: {
      size: db.storage.size,
      ...(db.storage.storageClass ? { storageClass: db.storage.storageClass } : {}),
    },
    ...(db.walStorage
      ? {
          walStorage: {
            size: db.walStorage.size,
            ...(db.walStorage.storageClass ? { storageClass: db.walStorage.storageClass } : {}),
          },
        }
      : {}),
    resources: db.resources,
    // One instance per zone: losing a zone loses at most one copy.
    affinity: {
      enablePodAntiAffinity: true,
      topologyKey: zone,
      podAntiAffinityType: production ? 'required' : 'preferred',
    },
    ...(production
      ? {
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: zone,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { 'cnpg.io/cluster': name } },
            },
          ],
        }
      : {}),
    // Continuous WAL archiving plus the base backups of the ScheduledBackup, under `<destinationPath>/<name>/`.
    backup: {
      retentionPolicy: db.backup.retention,
      target: 'prefer-standby',
      barmanObjectStore: barmanObjectStore(db.backup),
    },
    monitoring: { enablePodMonitor: c.monitoring !== undefined },
  })

  const cluster = (
    name: string,
    bootstrap: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => ({
    apiVersion: database.apiVersion,
    kind: 'Cluster',
    metadata: {
      ...c.meta(name),
      // Pulumi waits until the cluster is Ready before the migration Job runs against it.
      annotations: { 'pulumi.com/waitFor': 'condition=Ready', 'pulumi.com/timeoutSeconds': '1800' },
    },
    spec: { ...clusterSpec(name, bootstrap), ...extra },
  })

  const origin = cluster(database.cluster, {
    initdb: { database: database.name, owner: database.migrationRole, dataChecksums: true },
  })
  const restore =
    db.recovery &&
    cluster(
      database.restore,
      {
        recovery: {
          source: 'origin',
          database: database.name,
          owner: database.migrationRole,
          recoveryTarget: { targetTime: db.recovery.targetTime },
        },
      },
      {
        externalClusters: [
          {
            name: 'origin',
            barmanObjectStore: barmanObjectStore(db.backup, db.recovery.sourceCluster ?? database.cluster),
          },
        ],
      },
    )
  // One schedule per cluster: a restored cluster is backed up (under its own name) from the moment it exists.
  const scheduledBackup = (cluster: string): CustomObject => ({
    apiVersion: database.apiVersion,
    kind: 'ScheduledBackup',
    metadata: c.meta(cluster === database.cluster ? database.scheduledBackup : `${cluster}-daily`),
    spec: {
      schedule: db.backup.schedule,
      cluster: { name: cluster },
      method: 'barmanObjectStore',
      backupOwnerReference: 'self',
      immediate: true,
    },
  })

  const retired = Boolean(db.recovery?.promote && db.recovery.retireOrigin)
  const clusterNames = [...(retired ? [] : [database.cluster]), ...(restore ? [database.restore] : [])]
  const dbPods = {
    matchExpressions: [{ key: 'cnpg.io/cluster', operator: 'In', values: clusterNames }],
  }
  const policy = (name: string, spec: INetworkPolicy['spec']): INetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: c.meta(name),
    spec,
  })
  const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP' as const, port }))
  const inNamespace = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } })

  return {
    objects: [
      ...(retired ? [] : [origin]),
      ...(restore ? [restore] : []),
      ...clusterNames.map(scheduledBackup),
    ],
    activeCluster: activeCluster(db),
    fqdnPolicies: [],
    networkPolicies: [
      policy('allow-database-ingress', {
        podSelector: dbPods,
        policyTypes: ['Ingress'],
        ingress: [
          // The registry's pods (service, worker, migration).
          { from: [{ podSelector: { matchLabels: c.appLabel } }], ports: tcp(database.port) },
          // Replication and status between the instances of a cluster.
          { from: [{ podSelector: dbPods }], ports: tcp(database.port, database.statusPort) },
          // The operator: status, promotion, managed roles.
          {
            from: [{ namespaceSelector: inNamespace(db.operatorNamespace) }],
            ports: tcp(database.port, database.statusPort),
          },
          ...(c.monitoring
            ? [
                {
                  from: [
                    {
                      namespaceSelector: inNamespace(c.monitoring.namespace),
                      podSelector: { matchLabels: c.monitoring.podLabels },
                    },
                  ],
                  ports: tcp(database.metricsPort),
                },
              ]
            : []),
        ],
      }),
      policy('allow-database-egress', {
        podSelector: dbPods,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: inNamespace('kube-system'),
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP' as const, port: 53 },
              { protocol: 'TCP' as const, port: 53 },
            ],
          },
          { to: [{ podSelector: dbPods }], ports: tcp(database.port, database.statusPort) },
          { to: db.apiServer.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(db.apiServer.port) },
          // WAL archiving, base backups, and the restore's reads.
          { to: db.backup.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(443) },
        ],
      }),
    ],
  }
}
