import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from '@pulumi/policy'
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import { beforeAll, describe, expect, test } from 'vitest'
import { policies, type ResourceRule, resourceRules, stackRules } from '../src/policy/rules.ts'
import { type Recorded, runProgram, type Stack, stacks } from './stacks.ts'

const resourcesOf = {} as Record<Stack, Recorded[]>
beforeAll(async () => {
  for (const stack of stacks) resourcesOf[stack] = (await runProgram(stack)).resources
})

/** Calls a rule the way the policy engine does and returns what it reported. */
function violations(rule: ResourceRule, type: string, props: object): string[] {
  const found: string[] = []
  const args = {
    type,
    props,
    urn: `urn:${type}`,
    name: 'test',
    opts: {},
  } as unknown as ResourceValidationArgs
  const validate = rule.validateResource as (
    args: ResourceValidationArgs,
    report: (m: string) => void,
  ) => void
  validate(args, (message) => found.push(message))
  return found
}

function stackViolations(name: string, resources: Recorded[]): string[] {
  const byName = new Map<string, PolicyResource>()
  for (const r of resources) {
    byName.set(r.name, {
      type: r.type,
      props: r.inputs,
      urn: `urn:${r.name}`,
      name: r.name,
      dependencies: [],
    } as never)
  }
  for (const r of resources)
    byName.get(r.name)!.dependencies = r.dependencies.flatMap((d) => byName.get(d) ?? [])
  const found: string[] = []
  const args = { resources: [...byName.values()] } as unknown as StackValidationArgs
  stackRules.find((rule) => rule.name === name)!.validateStack(args, (message: string) => found.push(message))
  return found
}

test('every policy is mandatory and has a unique name', () => {
  expect(policies.map((p) => p.enforcementLevel)).toEqual(policies.map(() => 'mandatory'))
  expect(new Set(policies.map((p) => p.name)).size).toBe(policies.length)
})

describe.each(stacks)('stack %s passes every policy', (stack) => {
  test.each(resourceRules.map((rule) => [rule.name, rule] as const))(
    '%s, on every resource',
    (_name, rule) => {
      for (const resource of resourcesOf[stack]) {
        expect(violations(rule, resource.type, resource.inputs), `${resource.type} ${resource.name}`).toEqual(
          [],
        )
      }
    },
  )

  test.each(stackRules.map((rule) => rule.name))('%s, on the whole stack', (name) => {
    expect(stackViolations(name, resourcesOf[stack])).toEqual([])
  })
})

test('every resource rule inspects resources the stacks create', () => {
  const created = new Set(stacks.flatMap((stack) => resourcesOf[stack].map((r) => r.type)))
  for (const rule of resourceRules)
    expect(
      rule.types.some((type) => created.has(type)),
      rule.name,
    ).toBe(true)
})

/** A resource of the prd stack, deep-copied so a case can break it. */
const resource = (name: string) => {
  const found = (resourcesOf.prd.find((r) => r.name === name) ??
    resourcesOf.prd.find((r) => r.name.startsWith(`${name}-`)))!
  return { type: found.type, props: structuredClone(found.inputs) as Record<string, never> }
}
const podOf = (props: object) => (props as unknown as IDeployment).spec!.template.spec!
const containerOf = (props: object) => podOf(props).containers[0]!

const failingCases: Record<string, { from: string; change: (props: object) => void; message: RegExp }> = {
  'image-pinned-by-digest': {
    from: 'registry-migration',
    change: (p) => {
      containerOf(p).image = 'ghcr.io/ebox/registry:1.4.0'
    },
    message: /container migrate: image "ghcr.io\/ebox\/registry:1.4.0" is not pinned by digest/,
  },
  'restricted-security-context': {
    from: 'registry-deployment',
    change: (p) => {
      containerOf(p).securityContext = {
        runAsNonRoot: true,
        readOnlyRootFilesystem: false,
        allowPrivilegeEscalation: false,
      }
    },
    message: /container registry: root filesystem is not read-only/,
  },
  'requests-and-limits': {
    from: 'registry-worker',
    change: (p) => {
      delete containerOf(p).resources!.limits
    },
    message: /container worker: no cpu limits/,
  },
  'health-probes': {
    from: 'registry-worker',
    change: (p) => {
      delete containerOf(p).startupProbe
    },
    message: /startupProbe is not an HTTP GET of \/health\/live/,
  },
  'rolling-update-keeps-capacity': {
    from: 'registry-deployment',
    change: (p) => {
      ;(p as IDeployment).spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } }
    },
    message: /maxUnavailable: 0/,
  },
  'grace-period-exceeds-drain': {
    from: 'registry-deployment',
    change: (p) => {
      podOf(p).terminationGracePeriodSeconds = 10
    },
    message: /terminationGracePeriodSeconds \(10\) must exceed the 10000 ms drain/,
  },
  'no-service-account-token': {
    from: 'registry-service-account',
    change: (p) => {
      delete (p as { automountServiceAccountToken?: boolean }).automountServiceAccountToken
    },
    message: /automountServiceAccountToken must be false/,
  },
  'secrets-by-reference': {
    from: 'registry-deployment',
    change: (p) => {
      containerOf(p).env!.push({
        name: 'DATABASE_URL',
        value: 'postgres://registry:hunter2@db:5432/registry',
      })
    },
    message: /DATABASE_URL is set in plain text/,
  },
  'certification-reset-only-for-test-eboxes': {
    from: 'registry-config',
    change: (p) => {
      ;(p as { data: Record<string, string> }).data.CERTIFICATION_RESET_ENABLED = 'true'
    },
    message: /CERTIFICATION_RESET_ENABLED is true without CERTIFICATION_TEST_EBOXES/,
  },
  'ingress-tls': {
    from: 'registry-ingress',
    change: (p) => {
      delete (p as { spec: { tls?: unknown } }).spec.tls
    },
    message: /host registry.ebox-dp.example has no TLS/,
  },
  'topology-spread-in-production': {
    from: 'registry-deployment',
    change: (p) => {
      delete podOf(p).topologySpreadConstraints
    },
    message: /no topology spread constraint across nodes/,
  },
  'network-policy-scoped': {
    from: 'registry-allow-egress-federation',
    change: (p) => {
      ;(p as INetworkPolicy).spec!.egress!.push({ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] })
    },
    message: /0.0.0.0\/0 is not a scope|allows every port/,
  },
  'production-database-ha-and-backup': {
    from: 'registry-cluster-registry-db',
    change: (p) => {
      const spec = (p as { spec: { backup?: unknown; instances: number } }).spec
      delete spec.backup
      spec.instances = 1
    },
    message: /instances is 1, production needs at least 3[\s\S]*no backup/,
  },
  'zone-spread-in-production': {
    from: 'registry-worker',
    change: (p) => {
      const pod = podOf(p)
      pod.topologySpreadConstraints = pod.topologySpreadConstraints!.filter(
        (c) => c.topologyKey !== 'topology.kubernetes.io/zone',
      )
    },
    message: /no topology spread constraint across zones/,
  },
  'ingress-accepts-publications': {
    from: 'registry-ingress',
    change: (p) => {
      const annotations = (p as { metadata: { annotations: Record<string, string> } }).metadata.annotations
      delete annotations['nginx.ingress.kubernetes.io/proxy-body-size']
      annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] = '60'
    },
    message: /proxy-body-size \(default 1m\) is below 262144000 bytes[\s\S]*proxy-read-timeout 60 s/,
  },
  'autoscaler-v2': {
    from: 'registry-autoscaler',
    change: (p) => {
      Object.assign(p, {
        apiVersion: 'autoscaling/v1',
        spec: { maxReplicas: 3, targetCPUUtilizationPercentage: 70 },
      })
    },
    message: /use autoscaling\/v2, not autoscaling\/v1/,
  },
}

describe('each resource rule fails on a broken resource', () => {
  test('every rule has a failing case', () => {
    expect(Object.keys(failingCases).sort()).toEqual(resourceRules.map((rule) => rule.name).sort())
  })

  test.each(resourceRules.map((rule) => [rule.name, rule] as const))('%s', (name, rule) => {
    const failing = failingCases[name]!
    const { type, props } = resource(failing.from)
    expect(violations(rule, type, props)).toEqual([])
    failing.change(props)
    const found = violations(rule, type, props)
    expect(found.length).toBeGreaterThan(0)
    expect(found.join('\n')).toMatch(failing.message)
  })

  test('topology spread is required in production only', () => {
    const rule = resourceRules.find((r) => r.name === 'topology-spread-in-production')!
    const acc = resourcesOf.acc.find((r) => r.name === 'registry-deployment')!
    expect(violations(rule, acc.type, acc.inputs)).toEqual([])
  })
})

describe('each stack rule fails on a broken stack', () => {
  test('default-deny-network-policy', () => {
    const withoutDeny = resourcesOf.prd.filter((r) => r.name !== 'registry-default-deny')
    expect(stackViolations('default-deny-network-policy', withoutDeny)).toEqual([
      'no default-deny NetworkPolicy (empty podSelector, both policy types, no rules)',
    ])
  })

  test('migration-before-rollout', () => {
    const unordered = resourcesOf.prd.map((r) =>
      r.name === 'registry-worker'
        ? { ...r, dependencies: r.dependencies.filter((d) => d !== 'registry-migration') }
        : r,
    )
    expect(stackViolations('migration-before-rollout', unordered)).toEqual([
      'Deployment registry-worker does not wait for a migration Job',
    ])
  })
})
