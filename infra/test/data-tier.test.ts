import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import type { IService } from 'kubernetes-models/v1/Service'
import { describe, expect, test } from 'vitest'
import { type CustomObject, connectionBudget } from '../src/database.ts'
import { buildManifests, type KubeObject, manifestList } from '../src/manifests.ts'
import { checkRendered, restoreDrill, withRecovery } from '../src/restore-drill.ts'
import { loadStackFile } from '../src/stack-file.ts'
import { validateManifest } from '../src/validate.ts'

/** The data tier and cluster wiring of issue 16, read from the rendered stacks (no Pulumi engine needed). */
const rendered = (stack: 'acc' | 'prd') => manifestList(buildManifests(loadStackFile(stack)))
const find = <T = CustomObject>(manifests: KubeObject[], kind: string, name?: string): T => {
  const found = manifests.filter((m) => m.kind === kind && (!name || m.metadata?.name === name))
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1)
  return found[0] as T
}
type Cluster = CustomObject & {
  spec: {
    instances: number
    postgresql: { parameters: Record<string, string>; synchronous?: object }
    backup: { retentionPolicy: string; barmanObjectStore: Record<string, unknown> }
    bootstrap: Record<string, Record<string, unknown>>
    managed: { roles: Record<string, unknown>[] }
    affinity: Record<string, unknown>
    externalClusters?: { name: string; barmanObjectStore: Record<string, unknown> }[]
  }
}
const env = (manifests: KubeObject[], name: string) =>
  find<IDeployment>(manifests, 'Deployment', name).spec!.template.spec!.containers[0]!.env!

describe('rendered prd', () => {
  const prd = rendered('prd')

  test('passes schema validation and every policy', () => {
    expect(checkRendered(prd)).toEqual([])
  })

  test('a CloudNativePG Cluster: 3 instances, one per zone, a synchronous standby', () => {
    const cluster = find<Cluster>(prd, 'Cluster', 'registry-db')
    expect(cluster.spec.instances).toBe(3)
    expect(cluster.spec.postgresql.synchronous).toEqual({
      method: 'any',
      number: 1,
      dataDurability: 'required',
    })
    expect(cluster.spec.affinity).toEqual({
      enablePodAntiAffinity: true,
      topologyKey: 'topology.kubernetes.io/zone',
      podAntiAffinityType: 'required',
    })
  })

  test('continuous WAL archiving and base backups to object storage, kept 30 days, scheduled daily', () => {
    const cluster = find<Cluster>(prd, 'Cluster', 'registry-db')
    expect(cluster.spec.backup).toMatchObject({
      retentionPolicy: '30d',
      barmanObjectStore: {
        destinationPath: 's3://ebox-registry-prd-backups/',
        s3Credentials: {
          accessKeyId: { name: 'registry-db-backup', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'registry-db-backup', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip', maxParallel: 2 },
      },
    })
    expect(find(prd, 'ScheduledBackup').spec).toEqual({
      schedule: '0 0 1 * * *',
      cluster: { name: 'registry-db' },
      method: 'barmanObjectStore',
      backupOwnerReference: 'self',
      immediate: true,
    })
  })

  test('two roles: the migration role owns the database, the service role logs in with DML only', () => {
    const cluster = find<Cluster>(prd, 'Cluster', 'registry-db')
    expect(cluster.spec.bootstrap.initdb).toMatchObject({ database: 'registry', owner: 'registry_migrator' })
    expect(cluster.spec.managed.roles).toEqual([
      expect.objectContaining({
        name: 'ebox_registry_service',
        login: true,
        superuser: false,
        createdb: false,
        createrole: false,
        replication: false,
        passwordSecret: { name: 'registry-db-service' },
      }),
    ])
    const job = find<IJob>(prd, 'Job').spec!.template.spec!.containers[0]!.env!
    expect(job).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'registry-db-app', key: 'uri' } },
    })
    for (const name of ['registry', 'registry-worker']) {
      expect(env(prd, name)).toContainEqual({
        name: 'DATABASE_URL',
        value: 'postgres://ebox_registry_service@registry-db-rw:5432/registry',
      })
    }
  })

  test('direct connections sized on the HPA maximum: max_connections and DB_POOL_MAX', () => {
    const budget = connectionBudget(loadStackFile('prd'))
    // 11 API pods (HPA max 10 + 1 surge) × (10 + LISTEN) + 3 worker pods × 5 + migration 1 = 137; + 10 reserved.
    expect(budget).toMatchObject({
      apiPods: 11,
      perApiPod: 11,
      workerPods: 3,
      workerPoolMax: 5,
      clients: 137,
    })
    expect(budget.maxConnections).toBe(150)
    const cluster = find<Cluster>(prd, 'Cluster', 'registry-db')
    expect(cluster.spec.postgresql.parameters.max_connections).toBe('150')
    expect(env(prd, 'registry')).toContainEqual({ name: 'DB_POOL_MAX', value: '10' })
    expect(env(prd, 'registry-worker')).toEqual(
      expect.arrayContaining([
        { name: 'DB_POOL_MAX', value: '5' },
        { name: 'WORKER_CONCURRENCY', value: '4' },
      ]),
    )
  })

  test('metrics: a Service port for the API and the worker, a ServiceMonitor, and a policy that lets Prometheus in', () => {
    const api = find<IService>(prd, 'Service', 'registry').spec!.ports!
    expect(api).toContainEqual({ name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' })
    expect(find<IService>(prd, 'Service', 'registry-worker').spec!.ports).toEqual([
      { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
    ])
    const monitor = find(prd, 'ServiceMonitor')
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' })
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: 'metrics', path: '/metrics' }] })
    const scrape = find<INetworkPolicy>(prd, 'NetworkPolicy', 'allow-metrics-scrape').spec!
    expect(scrape.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 9464 }],
      },
    ])
  })

  test('a worker PDB, pull secrets, immutable config, ingress limits of a publication', () => {
    expect(find<IPodDisruptionBudget>(prd, 'PodDisruptionBudget', 'registry-worker').spec).toEqual({
      maxUnavailable: 1,
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'ebox-registry', 'app.kubernetes.io/component': 'worker' },
      },
    })
    for (const name of ['registry', 'registry-worker']) {
      expect(find<IDeployment>(prd, 'Deployment', name).spec!.template.spec!.imagePullSecrets).toEqual([
        { name: 'registry-pull' },
      ])
    }
    expect(find<{ immutable: boolean }>(prd, 'ConfigMap').immutable).toBe(true)
    const ingress = find<{ metadata: { annotations: Record<string, string> } }>(prd, 'Ingress')
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-body-size': '250m',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '300',
    })
  })

  test('the database pods get only what CloudNativePG needs through the default-deny', () => {
    const ingress = find<INetworkPolicy>(prd, 'NetworkPolicy', 'allow-database-ingress').spec!
    expect(ingress.ingress!.map((rule) => rule.ports!.map((p) => p.port))).toEqual([
      [5432],
      [5432, 8000],
      [5432, 8000],
      [9187],
    ])
    const egress = find<INetworkPolicy>(prd, 'NetworkPolicy', 'allow-database-egress').spec!
    expect(egress.egress!.map((rule) => rule.ports!.map((p) => `${p.protocol}/${p.port}`))).toEqual([
      ['UDP/53', 'TCP/53'],
      ['TCP/5432', 'TCP/8000'],
      ['TCP/443'],
      ['TCP/443'],
    ])
  })
})

test('rendered acc: one instance, no synchronous standby, backups kept 7 days', () => {
  const acc = rendered('acc')
  expect(checkRendered(acc)).toEqual([])
  const cluster = find<Cluster>(acc, 'Cluster', 'registry-db')
  expect(cluster.spec.instances).toBe(1)
  expect(cluster.spec.postgresql.synchronous).toBeUndefined()
  expect(cluster.spec.backup.retentionPolicy).toBe('7d')
  // 3 API pods × 11 + 2 worker pods × 5 + 1 = 44 clients; + 10 reserved.
  expect(cluster.spec.postgresql.parameters.max_connections).toBe('60')
})

describe('policies fail on a broken render', () => {
  const broken = (change: (manifests: KubeObject[]) => KubeObject[]) => checkRendered(change(rendered('prd')))

  test('prd without backups', () => {
    const problems = broken((manifests) =>
      manifests.map((m) => {
        if (m.kind !== 'Cluster') return m
        const { backup: _backup, ...spec } = (m as Cluster).spec
        return { ...m, spec }
      }),
    )
    expect(problems).toEqual([
      'Cluster/registry-db: production-database-ha-and-backup: no backup: WAL archiving and base backups to object storage with a retention policy',
    ])
  })

  test('prd without its ScheduledBackup', () => {
    expect(broken((manifests) => manifests.filter((m) => m.kind !== 'ScheduledBackup'))).toEqual([
      'stack: production-database-scheduled-backup: Cluster registry-db has no ScheduledBackup',
    ])
  })

  test('a pool larger than max_connections allows', () => {
    const problems = broken((manifests) =>
      manifests.map((m) => {
        if (m.kind !== 'Deployment' || m.metadata?.name !== 'registry') return m
        const copy = structuredClone(m) as IDeployment
        const variable = copy.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === 'DB_POOL_MAX')!
        variable.value = '20'
        return copy as KubeObject
      }),
    )
    expect(problems).toEqual([
      'stack: connection-budget: Cluster registry-db: max_connections 150 < 257 needed ' +
        '(11 API pods × 21, 3 worker pods × 5, migration 1, reserved 10)',
    ])
  })

  test('a worker without a disruption budget', () => {
    expect(
      broken((manifests) =>
        manifests.filter(
          (m) => !(m.kind === 'PodDisruptionBudget' && m.metadata?.name === 'registry-worker'),
        ),
      ),
    ).toEqual([
      'stack: deployments-have-disruption-budgets: Deployment registry-worker has no PodDisruptionBudget',
    ])
  })

  test('a misspelled field of a custom resource', () => {
    const cluster = structuredClone(find<Cluster>(rendered('prd'), 'Cluster', 'registry-db'))
    ;(cluster.spec as Record<string, unknown>).instance = 3
    ;(cluster.spec.backup as Record<string, unknown>).retentionPolicy = '30 days'
    expect(validateManifest(cluster)).toEqual([
      '/spec/instance: Unexpected property',
      expect.stringMatching(/^\/spec\/backup\/retentionPolicy: /),
    ])
  })
})

describe('restore drill (point-in-time recovery), offline', () => {
  test('renders a recovery Cluster from the backups up to the target time, policy-clean', () => {
    const { manifests, problems } = restoreDrill('prd', '2026-12-01T09:30:00Z')
    expect(problems).toEqual([])
    const restore = find<Cluster>(manifests, 'Cluster', 'registry-db-restore')
    expect(restore.spec.bootstrap).toEqual({
      recovery: {
        source: 'origin',
        database: 'registry',
        owner: 'registry_migrator',
        recoveryTarget: { targetTime: '2026-12-01T09:30:00Z' },
      },
    })
    expect(restore.spec.externalClusters).toEqual([
      {
        name: 'origin',
        barmanObjectStore: expect.objectContaining({
          destinationPath: 's3://ebox-registry-prd-backups/',
          serverName: 'registry-db',
        }),
      },
    ])
    // Its own backups go under its own name: the origin's archive is only read.
    expect(restore.spec.backup.barmanObjectStore.serverName).toBeUndefined()
    expect(find(manifests, 'ScheduledBackup', 'registry-db-restore-daily').spec).toMatchObject({
      cluster: { name: 'registry-db-restore' },
    })
    // Until promoted, the registry stays on the origin.
    expect(env(manifests, 'registry')).toContainEqual({
      name: 'DATABASE_URL',
      value: 'postgres://ebox_registry_service@registry-db-rw:5432/registry',
    })
  })

  test('promoted, the registry and its migration move to the restored cluster', () => {
    const { manifests, problems } = restoreDrill('prd', '2026-12-01T09:30:00Z', true)
    expect(problems).toEqual([])
    expect(env(manifests, 'registry')).toContainEqual({
      name: 'DATABASE_URL',
      value: 'postgres://ebox_registry_service@registry-db-restore-rw:5432/registry',
    })
    expect(find<IJob>(manifests, 'Job').spec!.template.spec!.containers[0]!.env).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'registry-db-restore-app', key: 'uri' } },
    })
    const egress = find<INetworkPolicy>(manifests, 'NetworkPolicy', 'allow-egress-dns-postgres').spec!.egress!
    expect(egress[1]!.to).toEqual([
      { podSelector: { matchLabels: { 'cnpg.io/cluster': 'registry-db-restore' } } },
    ])
  })

  test('once the origin is retired, only the restored cluster and its schedule remain', () => {
    const { manifests, problems } = restoreDrill('prd', '2026-12-01T09:30:00Z', true, true)
    expect(problems).toEqual([])
    expect(manifests.filter((m) => m.kind === 'Cluster').map((m) => m.metadata?.name)).toEqual([
      'registry-db-restore',
    ])
    expect(manifests.filter((m) => m.kind === 'ScheduledBackup').map((m) => m.metadata?.name)).toEqual([
      'registry-db-restore-daily',
    ])
  })

  test('refuses a stack on an external database', () => {
    const settings = loadStackFile('prd')
    expect(() =>
      withRecovery(
        {
          ...settings,
          database: {
            mode: 'external',
            host: 'db.internal',
            port: 5432,
            migrationSecretRef: { name: 'm', key: 'url' },
            egress: { fqdn: true },
          },
        },
        '2026-12-01T09:30:00Z',
      ),
    ).toThrow(/external database/)
  })
})
