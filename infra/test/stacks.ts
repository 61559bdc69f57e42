import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as pulumi from '@pulumi/pulumi'
import { vi } from 'vitest'
import { parse } from 'yaml'
import { project } from '../src/config.ts'
import { infraDir } from '../src/stack-file.ts'

export const stacks = ['acc', 'prd'] as const
export type Stack = (typeof stacks)[number]

export interface Recorded {
  type: string
  name: string
  inputs: Record<string, unknown>
  /** URN of the parent resource. */
  parent: string
  /** Logical names of the resources this one was told to wait for (dependsOn). */
  dependencies: string[]
}

/** A managed PostgreSQL (external mode), for tests of the service's own DATABASE_URL secret. */
export const externalDatabase = {
  mode: 'external',
  host: 'registry.postgres.internal',
  port: 5432,
  migrationSecretRef: { name: 'registry-db-migrator', key: 'url' },
  egress: { cidrs: ['10.20.0.0/24'] },
}

/** Test values for the two Pulumi secrets. */
export const testSecrets = {
  databaseUrl: 'postgres://registry:not-a-real-password@db.internal:5432/registry',
  oauthClientKey: '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----',
}

/**
 * The config Pulumi would hand the program for a stack: the committed stack file (every value a string,
 * structured ones as JSON) plus the secrets, listed as secret keys the way `pulumi config set --secret` does.
 */
export function stackConfig(stack: Stack, change: (config: Record<string, unknown>) => void = () => {}) {
  const file = parse(readFileSync(join(infraDir, `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>
  }
  const config: Record<string, unknown> = {
    ...file.config,
    [`${project}:databaseUrl`]: testSecrets.databaseUrl,
    [`${project}:oauthClientKey`]: testSecrets.oauthClientKey,
  }
  change(config)
  const strings = Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  )
  const secretKeys = Object.keys(strings).filter(
    (key) => key.endsWith(':databaseUrl') || key.endsWith(':oauthClientKey'),
  )
  return { config: strings, secretKeys }
}

export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve))
}

interface RegisterRequest {
  getName(): string
  getParent(): string
  getDependenciesList(): string[]
}

/**
 * Runs the program of a stack under `setMocks` (set before the program is imported) and returns every
 * resource it registered, once the URN of each has resolved.
 */
export async function runProgram(
  stack: Stack,
  change?: (config: Record<string, unknown>) => void,
  secretKeysOverride?: string[],
) {
  const recorded: Recorded[] = []
  const requests = new Map<string, RegisterRequest>()
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        recorded.push({ type: args.type, name: args.name, inputs: args.inputs, parent: '', dependencies: [] })
        return { id: `${args.name}-id`, state: args.inputs }
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  )
  // The mocks do not pass parent and dependsOn on; read them from the registration requests.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(request: RegisterRequest, callback: unknown): Promise<void>
  }
  const register = monitor.registerResource.bind(monitor)
  monitor.registerResource = (request, callback) => {
    requests.set(request.getName(), request)
    return register(request, callback)
  }

  const { config, secretKeys } = stackConfig(stack, change)
  pulumi.runtime.setAllConfig(config, secretKeysOverride ?? secretKeys)
  vi.resetModules()
  // Without an engine, pulumi.log.warn writes to the console: keep the warnings to assert on.
  const warnings: string[] = []
  const warn = vi.spyOn(console, 'warn').mockImplementation((message) => warnings.push(String(message)))
  const { program, urns } = await import('../src/index.ts')
    .then(async (program) => ({ program, urns: await promiseOf(program.resources) }))
    .finally(() => warn.mockRestore())

  const custom = recorded.filter((resource) => resource.type.startsWith('kubernetes:'))
  for (const resource of custom) {
    const request = requests.get(resource.name)!
    resource.parent = request.getParent()
    resource.dependencies = request.getDependenciesList().map((urn) => urn.split('::').at(-1)!)
  }
  return { program, urns, resources: custom, warnings }
}
