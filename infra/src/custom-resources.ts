/**
 * Shapes of the custom resources the stack emits, written from the fields their CRDs document (kubernetes-models
 * has no types for them): CloudNativePG 1.25 `Cluster` and `ScheduledBackup` (postgresql.cnpg.io/v1, API
 * reference), Prometheus Operator `ServiceMonitor` (monitoring.coreos.com/v1) and Cilium `CiliumNetworkPolicy`
 * (cilium.io/v2). Only the fields this stack may use are listed, each object closed: a misspelled or unknown
 * field fails validation, as the API server's structural schema would prune it silently.
 */
import { type TSchema, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const closed = { additionalProperties: false } as const
const Obj = (properties: Record<string, TSchema>) => Type.Object(properties, closed)
const Opt = Type.Optional
const Str = Type.String({ minLength: 1 })
const Labels = Type.Record(Type.String(), Type.String())
const Quantity = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$' })
const SecretKeyRef = Obj({ name: Str, key: Str })
const LocalRef = Obj({ name: Str })
const LabelSelector = Obj({
  matchLabels: Opt(Labels),
  matchExpressions: Opt(
    Type.Array(
      Obj({
        key: Str,
        operator: Type.Union(['In', 'NotIn', 'Exists', 'DoesNotExist'].map((op) => Type.Literal(op))),
        values: Opt(Type.Array(Str)),
      }),
    ),
  ),
})
const Metadata = Obj({ name: Str, namespace: Str, labels: Opt(Labels), annotations: Opt(Labels) })
const Resources = Obj({
  requests: Opt(Obj({ cpu: Opt(Quantity), memory: Opt(Quantity) })),
  limits: Opt(Obj({ cpu: Opt(Quantity), memory: Opt(Quantity) })),
})
const Storage = Obj({ size: Quantity, storageClass: Opt(Str) })

/** BarmanObjectStoreConfiguration (barman-cloud API, shared by backup and externalClusters). */
const BarmanObjectStore = Obj({
  destinationPath: Str,
  endpointURL: Opt(Str),
  serverName: Opt(Str),
  s3Credentials: Opt(
    Obj({ accessKeyId: SecretKeyRef, secretAccessKey: SecretKeyRef, region: Opt(SecretKeyRef) }),
  ),
  wal: Opt(
    Obj({
      compression: Opt(
        Type.Union(['gzip', 'bzip2', 'snappy', 'lz4', 'xz', 'zstd'].map((c) => Type.Literal(c))),
      ),
      maxParallel: Opt(Type.Integer({ minimum: 1 })),
    }),
  ),
  data: Opt(
    Obj({
      compression: Opt(Type.Union(['gzip', 'bzip2', 'snappy'].map((c) => Type.Literal(c)))),
      jobs: Opt(Type.Integer({ minimum: 1 })),
    }),
  ),
})

const ManagedRole = Obj({
  name: Str,
  ensure: Opt(Type.Union([Type.Literal('present'), Type.Literal('absent')])),
  login: Opt(Type.Boolean()),
  inherit: Opt(Type.Boolean()),
  superuser: Opt(Type.Boolean()),
  createdb: Opt(Type.Boolean()),
  createrole: Opt(Type.Boolean()),
  replication: Opt(Type.Boolean()),
  bypassrls: Opt(Type.Boolean()),
  connectionLimit: Opt(Type.Integer({ minimum: -1 })),
  inRoles: Opt(Type.Array(Str)),
  passwordSecret: Opt(LocalRef),
})

const ClusterSpec = Obj({
  instances: Type.Integer({ minimum: 1 }),
  imageName: Opt(Str),
  primaryUpdateStrategy: Opt(Type.Union([Type.Literal('unsupervised'), Type.Literal('supervised')])),
  primaryUpdateMethod: Opt(Type.Union([Type.Literal('switchover'), Type.Literal('restart')])),
  minSyncReplicas: Opt(Type.Integer({ minimum: 0 })),
  maxSyncReplicas: Opt(Type.Integer({ minimum: 0 })),
  postgresql: Opt(
    Obj({
      parameters: Opt(Labels),
      synchronous: Opt(
        Obj({
          method: Type.Union([Type.Literal('any'), Type.Literal('first')]),
          number: Type.Integer({ minimum: 1 }),
          dataDurability: Opt(Type.Union([Type.Literal('required'), Type.Literal('preferred')])),
        }),
      ),
    }),
  ),
  bootstrap: Obj({
    initdb: Opt(
      Obj({ database: Str, owner: Str, secret: Opt(LocalRef), dataChecksums: Opt(Type.Boolean()) }),
    ),
    recovery: Opt(
      Obj({
        source: Str,
        database: Opt(Str),
        owner: Opt(Str),
        secret: Opt(LocalRef),
        recoveryTarget: Opt(
          Obj({
            targetTime: Opt(Str),
            targetLSN: Opt(Str),
            targetName: Opt(Str),
            targetImmediate: Opt(Type.Boolean()),
            exclusive: Opt(Type.Boolean()),
          }),
        ),
      }),
    ),
  }),
  externalClusters: Opt(Type.Array(Obj({ name: Str, barmanObjectStore: Opt(BarmanObjectStore) }))),
  managed: Opt(Obj({ roles: Opt(Type.Array(ManagedRole)) })),
  storage: Storage,
  walStorage: Opt(Storage),
  resources: Opt(Resources),
  affinity: Opt(
    Obj({
      enablePodAntiAffinity: Opt(Type.Boolean()),
      topologyKey: Opt(Str),
      podAntiAffinityType: Opt(Type.Union([Type.Literal('preferred'), Type.Literal('required')])),
      nodeSelector: Opt(Labels),
    }),
  ),
  topologySpreadConstraints: Opt(
    Type.Array(
      Obj({
        maxSkew: Type.Integer({ minimum: 1 }),
        topologyKey: Str,
        whenUnsatisfiable: Type.Union([Type.Literal('DoNotSchedule'), Type.Literal('ScheduleAnyway')]),
        labelSelector: Opt(LabelSelector),
      }),
    ),
  ),
  backup: Opt(
    Obj({
      retentionPolicy: Opt(Type.String({ pattern: '^[1-9][0-9]*[dwm]$' })),
      target: Opt(Type.Union([Type.Literal('primary'), Type.Literal('prefer-standby')])),
      barmanObjectStore: Opt(BarmanObjectStore),
    }),
  ),
  monitoring: Opt(Obj({ enablePodMonitor: Opt(Type.Boolean()) })),
})

const ScheduledBackupSpec = Obj({
  schedule: Type.String({ pattern: '^\\S+( \\S+){5}$' }),
  cluster: LocalRef,
  method: Opt(Type.Union(['barmanObjectStore', 'volumeSnapshot', 'plugin'].map((m) => Type.Literal(m)))),
  backupOwnerReference: Opt(Type.Union(['none', 'self', 'cluster'].map((m) => Type.Literal(m)))),
  immediate: Opt(Type.Boolean()),
  suspend: Opt(Type.Boolean()),
  target: Opt(Type.Union([Type.Literal('primary'), Type.Literal('prefer-standby')])),
})

const ServiceMonitorSpec = Obj({
  selector: LabelSelector,
  namespaceSelector: Opt(Obj({ matchNames: Opt(Type.Array(Str)), any: Opt(Type.Boolean()) })),
  endpoints: Type.Array(
    Obj({
      port: Str,
      path: Opt(Str),
      interval: Opt(Type.String({ pattern: '^[0-9]+(ms|s|m|h)$' })),
      scrapeTimeout: Opt(Type.String({ pattern: '^[0-9]+(ms|s|m|h)$' })),
    }),
    { minItems: 1 },
  ),
})

const CiliumPorts = Type.Array(
  Obj({
    ports: Type.Array(
      Obj({ port: Str, protocol: Type.Union(['TCP', 'UDP', 'ANY'].map((p) => Type.Literal(p))) }),
    ),
    rules: Opt(Obj({ dns: Opt(Type.Array(Obj({ matchName: Opt(Str), matchPattern: Opt(Str) }))) })),
  }),
)
const CiliumNetworkPolicySpec = Obj({
  endpointSelector: LabelSelector,
  egress: Type.Array(
    Obj({
      toEndpoints: Opt(Type.Array(LabelSelector)),
      toFQDNs: Opt(Type.Array(Obj({ matchName: Opt(Str), matchPattern: Opt(Str) }))),
      toPorts: Opt(CiliumPorts),
    }),
  ),
})

const shapes = new Map<string, TSchema>([
  ['postgresql.cnpg.io/v1/Cluster', ClusterSpec],
  ['postgresql.cnpg.io/v1/ScheduledBackup', ScheduledBackupSpec],
  ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitorSpec],
  ['cilium.io/v2/CiliumNetworkPolicy', CiliumNetworkPolicySpec],
])

/** Problems of a custom resource against its documented shape; undefined when the kind is not one of ours. */
export function validateCustomResource(manifest: {
  apiVersion: string
  kind: string
  metadata?: unknown
  spec?: unknown
}): string[] | undefined {
  const spec = shapes.get(`${manifest.apiVersion}/${manifest.kind}`)
  if (!spec) return undefined
  const schema = Obj({ apiVersion: Str, kind: Str, metadata: Metadata, spec })
  return [...Value.Errors(schema, manifest)].map((error) => `${error.path || '/'}: ${error.message}`)
}
