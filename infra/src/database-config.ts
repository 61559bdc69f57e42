/**
 * Stack config of the data tier (`ebox-registry:database`): a CloudNativePG cluster the stack creates, or an
 * external PostgreSQL (a managed service) it only connects to. docs/operations.md, "Data tier".
 */
import { type Static, Type } from '@sinclair/typebox'

const strict = { additionalProperties: false } as const
const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' })
const DnsName = Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', minLength: 1, maxLength: 253 })
const Cidr = Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' })
const Cidrs = Type.Array(Cidr, { minItems: 1 })
const Port = Type.Integer({ minimum: 1, maximum: 65535 })
const Quantity = Type.String({ minLength: 1 })
const KeyRef = Type.Object({ name: DnsLabel, key: Type.String({ minLength: 1 }) }, strict)
/** barman's retention: a number of days, weeks or months (`30d`, `4w`, `6m`). */
const Retention = Type.String({ pattern: '^[1-9][0-9]*[dwm]$' })

/**
 * A managed PostgreSQL: reached by DNS name, so a failover to a new address stays inside the egress policy.
 * `egress.fqdn` needs a CNI that enforces DNS names (Cilium: CiliumNetworkPolicy `toFQDNs`); otherwise
 * `egress.cidrs` names the subnet the service may move within (never one address).
 */
export const ExternalDatabase = Type.Object(
  {
    mode: Type.Literal('external'),
    host: DnsName,
    port: Port,
    /** The migration role's URL (owner of the schema), used only by the migration Job. */
    migrationSecretRef: KeyRef,
    egress: Type.Union([
      Type.Object({ fqdn: Type.Literal(true) }, strict),
      Type.Object({ cidrs: Cidrs }, strict),
    ]),
  },
  strict,
)

export const CloudNativePgDatabase = Type.Object(
  {
    mode: Type.Literal('cloudnative-pg'),
    /** PostgreSQL image of the instances (barman-cloud included), pinned by digest. */
    imageName: Type.String({ pattern: '^[a-z0-9][a-z0-9._\\-/]*@sha256:[a-f0-9]{64}$' }),
    instances: Type.Integer({ minimum: 1, maximum: 9 }),
    storage: Type.Object(
      { size: Quantity, storageClass: Type.Optional(Type.String({ minLength: 1 })) },
      strict,
    ),
    walStorage: Type.Optional(
      Type.Object({ size: Quantity, storageClass: Type.Optional(Type.String({ minLength: 1 })) }, strict),
    ),
    resources: Type.Object(
      {
        requests: Type.Object({ cpu: Quantity, memory: Quantity }, strict),
        limits: Type.Object({ cpu: Quantity, memory: Quantity }, strict),
      },
      strict,
    ),
    /** Where the CloudNativePG operator runs: it talks to the instances (status port, PostgreSQL). */
    operatorNamespace: DnsLabel,
    /** The Kubernetes API (the instance manager and PgBouncer watch their objects). */
    apiServer: Type.Object({ cidrs: Cidrs, port: Port }, strict),
    backup: Type.Object(
      {
        /** e.g. s3://ebox-registry-prd-backups/ */
        destinationPath: Type.String({ pattern: '^(s3|gs|https)://\\S+$' }),
        /** S3-compatible endpoint; omitted on AWS S3. */
        endpointURL: Type.Optional(Type.String({ pattern: '^https://\\S+$' })),
        /** Secret with ACCESS_KEY_ID and ACCESS_SECRET_KEY. */
        credentialsSecret: DnsLabel,
        retention: Retention,
        /** Six-field cron (seconds first), as ScheduledBackup takes it. */
        schedule: Type.String({ pattern: '^\\S+( \\S+){5}$' }),
        /** Addresses of the object store's endpoint (HTTPS egress of the instances). */
        cidrs: Cidrs,
      },
      strict,
    ),
    /** Connections of one API pod's pool (DB_POOL_MAX); PostgreSQL's max_connections is derived from it. */
    apiPoolMax: Type.Integer({ minimum: 1, maximum: 100 }),
    /**
     * Point-in-time recovery: renders a second Cluster bootstrapped from this cluster's backups up to
     * `targetTime` (docs/operations.md, "Point-in-time recovery"). Remove once the restored cluster is promoted.
     */
    recovery: Type.Optional(
      Type.Object(
        {
          /** RFC 3339 with an explicit offset, e.g. 2026-12-01T09:30:00Z */
          targetTime: Type.String({
            pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$',
          }),
          /** Name of the cluster whose backups to read (its serverName in the object store). */
          sourceCluster: Type.Optional(DnsLabel),
          /** Once the restored cluster is checked: the registry's workloads and the backups move to it. */
          promote: Type.Optional(Type.Boolean()),
          /** With promote: stop rendering the origin cluster, so `pulumi up` deletes it (and its volumes). */
          retireOrigin: Type.Optional(Type.Boolean()),
        },
        strict,
      ),
    ),
  },
  strict,
)

export const DatabaseConfig = Type.Union([CloudNativePgDatabase, ExternalDatabase])
export type DatabaseConfig = Static<typeof DatabaseConfig>
export type CloudNativePgConfig = Static<typeof CloudNativePgDatabase>
export type ExternalDatabaseConfig = Static<typeof ExternalDatabase>

/** Secrets of type kubernetes.io/dockerconfigjson the kubelet uses to pull the image. */
export const ImagePullSecrets = Type.Array(DnsLabel, { uniqueItems: true })

/** Prometheus (Operator) that scrapes the registry, the worker and the database. */
export const Monitoring = Type.Object(
  {
    namespace: DnsLabel,
    podLabels: Type.Record(Type.String(), Type.String(), { minProperties: 1 }),
    /** Labels the Prometheus resource selects ServiceMonitors by (e.g. release: kube-prometheus-stack). */
    serviceMonitorLabels: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
)
export type Monitoring = Static<typeof Monitoring>
