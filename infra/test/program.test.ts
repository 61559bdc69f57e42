import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import type { IJob } from 'kubernetes-models/batch/v1/Job'
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount'
import { beforeAll, describe, expect, test } from 'vitest'
import { externalDatabase, type Recorded, runProgram, type Stack, stacks, testSecrets } from './stacks.ts'

type Run = Awaited<ReturnType<typeof runProgram>>
const runs = {} as Record<Stack, Run>

beforeAll(async () => {
  for (const stack of stacks) runs[stack] = await runProgram(stack)
})

const ofType = <T>(stack: Stack, type: string) =>
  runs[stack].resources.filter((r) => r.type === `kubernetes:${type}`).map((r) => r.inputs as T)
const one = <T>(stack: Stack, type: string, name?: string): T => {
  const found = ofType<T & { metadata: { name: string } }>(stack, type).filter(
    (r) => !name || r.metadata.name === name,
  )
  expect(found).toHaveLength(1)
  return found[0]!
}
const deployment = (stack: Stack, name: string) => one<IDeployment>(stack, 'apps/v1:Deployment', name)
const configData = (stack: Stack) => one<IConfigMap>(stack, 'core/v1:ConfigMap').data!
const byName = (stack: Stack, name: string): Recorded => runs[stack].resources.find((r) => r.name === name)!

describe.each(stacks)('stack %s', (stack) => {
  test('creates every object of the registry as a child of the MessageRegistry component', () => {
    const objects = runs[stack].resources.map(
      (r) => `${r.type.split(':')[2]} ${(r.inputs.metadata as { name: string }).name}`,
    )
    // Sorted: registration order follows the resolution of dependencies, not the source.
    expect(objects.map((o) => o.replace(/-[0-9a-f]{10}$/, '-<hash>')).sort()).toEqual(
      [
        'Namespace ebox-registry',
        'ServiceAccount registry',
        'ConfigMap registry-config-<hash>',
        'Secret registry-secrets',
        'NetworkPolicy default-deny',
        'NetworkPolicy allow-ingress-controller',
        'NetworkPolicy allow-egress-dns-postgres',
        'NetworkPolicy allow-egress-federation',
        'NetworkPolicy allow-egress-object-store',
        'NetworkPolicy allow-database-ingress',
        'NetworkPolicy allow-database-egress',
        'NetworkPolicy allow-metrics-scrape',
        'Cluster registry-db',
        'ScheduledBackup registry-db-daily',
        'Job registry-migrate-<hash>',
        'Deployment registry',
        'Deployment registry-worker',
        'Service registry',
        'Service registry-worker',
        'Ingress registry',
        'HorizontalPodAutoscaler registry',
        'PodDisruptionBudget registry',
        'PodDisruptionBudget registry-worker',
        'ServiceMonitor registry',
        ...(stack === 'prd' ? ['ClusterPolicy ebox-registry-require-acc-verification'] : []),
      ].sort(),
    )
    for (const r of runs[stack].resources)
      expect(r.parent).toMatch(/::ebox:registry:MessageRegistry::registry$/)
    expect(runs[stack].urns).toHaveLength(runs[stack].resources.length)
  })

  test('every pod is locked down, sized, and outlasts the shutdown drain', () => {
    const workloads = [
      ...ofType<IDeployment>(stack, 'apps/v1:Deployment'),
      ...ofType<IJob>(stack, 'batch/v1:Job'),
    ]
    expect(workloads).toHaveLength(3)
    for (const workload of workloads) {
      const pod = workload.spec!.template.spec!
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      })
      expect(pod.automountServiceAccountToken).toBe(false)
      expect(pod.terminationGracePeriodSeconds).toBe(30)
      for (const container of pod.containers) {
        expect(container.image).toMatch(/@sha256:[0-9a-f]{64}$/)
        expect(container.securityContext).toEqual({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        })
        expect(container.resources?.requests).toHaveProperty('cpu')
        expect(container.resources?.limits).toHaveProperty('memory')
        expect(container.env).toContainEqual({ name: 'SHUTDOWN_GRACE_MS', value: '10000' })
      }
    }
    expect(one<IServiceAccount>(stack, 'core/v1:ServiceAccount').automountServiceAccountToken).toBe(false)
  })

  test('Deployments probe the health routes and roll without losing capacity', () => {
    for (const [name, command] of [
      ['registry', 'serve'],
      ['registry-worker', 'worker'],
    ]) {
      const spec = deployment(stack, name!).spec!
      expect(spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
      })
      const container = spec.template.spec!.containers[0]!
      expect(container.args).toEqual([command])
      expect(container.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' })
      expect(container.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' })
      expect(container.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' })
    }
  })

  test('secrets reach the pods only as Secret references, the Secret holding the Pulumi secrets', () => {
    const env = deployment(stack, 'registry').spec!.template.spec!.containers[0]!.env!
    // The service role's password from its Secret; the URL only names the server.
    expect(env).toContainEqual({
      name: 'DATABASE_URL',
      value: 'postgres://ebox_registry_service@registry-db-rw:5432/registry',
    })
    expect(env).toContainEqual({
      name: 'PGPASSWORD',
      valueFrom: { secretKeyRef: { name: 'registry-db-service', key: 'password' } },
    })
    expect(env).toContainEqual({
      name: 'OAUTH_CLIENT_KEY',
      valueFrom: { secretKeyRef: { name: 'registry-secrets', key: 'oauth-client-key' } },
    })
    expect(JSON.stringify(configData(stack))).not.toContain('not-a-real')
    const secret = byName(stack, 'registry-secret').inputs.stringData
    // Marked secret for Pulumi (kept encrypted in the state), holding the values of `config set --secret`.
    expect(secret).toEqual({
      '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270',
      value: { 'oauth-client-key': testSecrets.oauthClientKey },
    })
  })

  test('the migration Job gates the rollout and reruns only for new content', () => {
    const job = one<IJob & { metadata: { name: string; annotations?: object } }>(stack, 'batch/v1:Job')
    expect(job.spec!.template.spec!.containers[0]!.args).toEqual(['migrate'])
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never')
    expect(job.spec!.backoffLimit).toBe(2)
    expect(job.metadata.annotations).toEqual({ 'pulumi.com/replaceUnready': 'true' })
    // The migration gets the database and nothing else secret.
    expect(job.spec!.template.spec!.containers[0]!.env!).toEqual([
      { name: 'SHUTDOWN_GRACE_MS', value: '10000' },
      // The schema's owner, from the Secret CloudNativePG writes for it.
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'registry-db-app', key: 'uri' } } },
    ])
    for (const name of ['registry-deployment', 'registry-worker']) {
      expect(byName(stack, name).dependencies).toContain('registry-migration')
    }
    expect(byName(stack, 'registry-migration').dependencies).toEqual(
      expect.arrayContaining([
        'registry-config',
        'registry-secret',
        'registry-default-deny',
        'registry-cluster-registry-db',
      ]),
    )
    const configName = one<IConfigMap & { metadata: { name: string } }>(stack, 'core/v1:ConfigMap').metadata
      .name
    for (const workload of [job, deployment(stack, 'registry'), deployment(stack, 'registry-worker')]) {
      expect(workload.spec!.template.spec!.containers[0]!.envFrom).toEqual([
        { configMapRef: { name: configName } },
      ])
    }
    expect(runs[stack].program.migrationJob).toBeDefined()
  })

  test('only the ingress controller gets in; only DNS, PostgreSQL and the federation get out', () => {
    const policies = ofType<INetworkPolicy & { metadata: { name: string } }>(
      stack,
      'networking.k8s.io/v1:NetworkPolicy',
    )
    const policy = (name: string) => policies.find((p) => p.metadata.name === name)!.spec!
    expect(policy('default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] })
    expect(policy('allow-ingress-controller').ingress![0]!.from).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
      },
    ])
    const ports = (name: string) =>
      policy(name).egress!.flatMap((rule) => rule.ports!.map((p) => `${p.protocol}/${p.port}`))
    expect(ports('allow-egress-dns-postgres')).toEqual(['UDP/53', 'TCP/53', 'TCP/5432'])
    expect(policy('allow-egress-dns-postgres').egress![1]!.to).toEqual([
      { podSelector: { matchLabels: { 'cnpg.io/cluster': 'registry-db' } } },
    ])
    expect(ports('allow-egress-federation')).toEqual(['TCP/443', 'TCP/443', 'TCP/443'])
    expect(policies.flatMap((p) => p.spec!.egress ?? []).every((rule) => rule.to!.length > 0)).toBe(true)
  })

  test('serves HTTPS on its host through the Ingress and scales with autoscaling/v2', () => {
    const ingress = one<IIngress>(stack, 'networking.k8s.io/v1:Ingress').spec!
    expect(ingress.tls).toEqual([{ hosts: [ingress.rules![0]!.host], secretName: 'registry-tls' }])
    expect(runs[stack].program.url).toBe(`https://${ingress.rules![0]!.host}`)
    const autoscaler = one<IHorizontalPodAutoscaler>(stack, 'autoscaling/v2:HorizontalPodAutoscaler')
    expect(autoscaler.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'registry',
    })
    expect(one(stack, 'policy/v1:PodDisruptionBudget', 'registry')).toMatchObject({
      spec: { maxUnavailable: 1 },
    })
  })
})

describe('acc and prd differ only where the environments do', () => {
  test('replicas, autoscaling and topology spread', () => {
    const summary = (stack: Stack) => {
      const autoscaler = one<IHorizontalPodAutoscaler>(stack, 'autoscaling/v2:HorizontalPodAutoscaler').spec!
      const registry = deployment(stack, 'registry').spec!
      return {
        replicas: registry.replicas,
        workerReplicas: deployment(stack, 'registry-worker').spec!.replicas,
        autoscaling: [autoscaler.minReplicas, autoscaler.maxReplicas],
        spread: registry.template.spec!.topologySpreadConstraints?.map((c) => c.topologyKey) ?? [],
      }
    }
    expect(summary('acc')).toEqual({
      replicas: 1,
      workerReplicas: 1,
      autoscaling: [1, 2],
      spread: [],
    })
    expect(summary('prd')).toEqual({
      replicas: 3,
      workerReplicas: 2,
      autoscaling: [3, 10],
      spread: ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
    })
  })

  test('hosts, OAuth and federation endpoints, CORS origins', () => {
    const endpoints = (stack: Stack) => {
      const data = configData(stack)
      return {
        host: one<IIngress>(stack, 'networking.k8s.io/v1:Ingress').spec!.rules![0]!.host,
        environment: data.EBOX_ENVIRONMENT,
        oauth: [data.OAUTH_MODE, data.OAUTH_TOKEN_URL, data.OAUTH_INTROSPECTION_URL],
        ees: data.EES_URL,
        partition: data.PARTITION_SERVICE_URL,
        cors: data.CORS_ORIGINS,
      }
    }
    expect(endpoints('acc')).toEqual({
      host: 'registry.acc.ebox-dp.example',
      environment: 'acceptation',
      oauth: [
        'introspection',
        'https://services-acpt.socialsecurity.be/REST/oauth/v5/token',
        'https://services-acpt.socialsecurity.be/REST/oauth/v5/introspect',
      ],
      ees: 'https://public.int.fedservices.be/EventServices/Ebox/v2/enterprise/document/events',
      partition: 'https://services-acpt.socialsecurity.be/REST/ebox/enterprise/partition/v1',
      cors: 'https://wwwacc.eboxenterprise.be',
    })
    expect(endpoints('prd')).toEqual({
      host: 'registry.ebox-dp.example',
      environment: 'production',
      oauth: [
        'introspection',
        'https://services.socialsecurity.be/REST/oauth/v5/token',
        'https://services.socialsecurity.be/REST/oauth/v5/introspect',
      ],
      ees: 'https://public.fedservices.be/EventServices/Ebox/v2/enterprise/document/events',
      partition: 'https://services.socialsecurity.be/REST/ebox/enterprise/partition/v1',
      cors: 'https://www.eboxenterprise.be',
    })
  })
})

test('a preview warns about every placeholder still in the stack file', () => {
  expect(runs.prd.warnings).toEqual(
    [
      'database.apiServer.cidrs',
      'database.backup.cidrs',
      'oauth.cidrs',
      'ees.cidrs',
      'partitionService.cidrs',
      'objectStorage.cidrs',
      'ingress.host',
      'image',
      'database.imageName',
      'database.backup.endpointURL',
    ].map(
      (key) =>
        `warning: [runtime] ebox-registry:${key} still holds a placeholder: set the real value before deploying (docs/operations.md)`,
    ),
  )
})

describe('the program refuses unsafe config', () => {
  test('an image tag', async () => {
    await expect(
      runProgram('prd', (config) => {
        config['ebox-registry:image'] = 'ghcr.io/ebox/registry:1.4.0'
      }),
    ).rejects.toThrow(
      /must be pinned by digest as repository@sha256:<64 hex>, got "ghcr.io\/ebox\/registry:1.4.0"/,
    )
  })

  test('a secret stored in plain config', async () => {
    await expect(runProgram('acc', undefined, [])).rejects.toThrow(
      /ebox-registry:databaseUrl is stored in plain text: remove it and run `pulumi config set --secret databaseUrl`/,
    )
  })

  test('a missing secret', async () => {
    await expect(
      runProgram('acc', (config) => {
        config['ebox-registry:database'] = externalDatabase
        delete config['ebox-registry:databaseUrl']
      }),
    ).rejects.toThrow(/missing ebox-registry:databaseUrl/)
  })
})

test('a secret may instead reference an existing Kubernetes Secret', async () => {
  const { resources } = await runProgram('acc', (config) => {
    config['ebox-registry:database'] = externalDatabase
    delete config['ebox-registry:databaseUrl']
    config['ebox-registry:databaseSecretRef'] = { name: 'registry-database', key: 'url' }
  })
  const registry = resources.find((r) => r.name === 'registry-deployment')!.inputs as unknown as IDeployment
  expect(registry.spec!.template.spec!.containers[0]!.env).toContainEqual({
    name: 'DATABASE_URL',
    valueFrom: { secretKeyRef: { name: 'registry-database', key: 'url' } },
  })
  const secret = resources.find((r) => r.type === 'kubernetes:core/v1:Secret')!.inputs.stringData as {
    value: object
  }
  expect(Object.keys(secret.value)).toEqual(['oauth-client-key'])
})

describe('an external (managed) database', () => {
  const external = (egress: object) =>
    runProgram('prd', (config) => {
      config['ebox-registry:database'] = { ...externalDatabase, egress }
    })
  const spec = (resources: Recorded[], name: string) =>
    (resources.find((r) => r.name === name)!.inputs as unknown as { spec: Record<string, unknown> }).spec

  test('is reached by its DNS name (CiliumNetworkPolicy toFQDNs), so a failover to a new address stays allowed', async () => {
    const { resources } = await external({ fqdn: true })
    expect(resources.map((r) => r.type)).not.toContain('kubernetes:postgresql.cnpg.io/v1:Cluster')
    const fqdn = spec(resources, 'registry-ciliumnetworkpolicy-allow-egress-database-fqdn')
    expect(fqdn.egress).toContainEqual({
      toFQDNs: [{ matchName: 'registry.postgres.internal' }],
      toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }],
    })
    // No address rule for the database in the plain NetworkPolicy: only DNS.
    const plain = spec(resources, 'registry-allow-egress-dns-postgres') as unknown as INetworkPolicy['spec']
    expect(plain!.egress!.flatMap((rule) => rule.to!.map((peer) => peer.ipBlock))).toEqual([undefined])
  })

  test('or by the subnet it fails over within; the migration uses its own role', async () => {
    const { resources } = await external({ cidrs: ['10.20.0.0/24'] })
    const plain = spec(resources, 'registry-allow-egress-dns-postgres') as unknown as INetworkPolicy['spec']
    expect(plain!.egress![1]).toEqual({
      to: [{ ipBlock: { cidr: '10.20.0.0/24' } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    })
    const job = resources.find((r) => r.type === 'kubernetes:batch/v1:Job')!.inputs as unknown as IJob
    expect(job.spec!.template.spec!.containers[0]!.env).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'registry-db-migrator', key: 'url' } },
    })
    const registry = resources.find((r) => r.name === 'registry-deployment')!.inputs as unknown as IDeployment
    expect(registry.spec!.template.spec!.containers[0]!.env).toContainEqual({
      name: 'DATABASE_URL',
      valueFrom: { secretKeyRef: { name: 'registry-secrets', key: 'database-url' } },
    })
  })
})
