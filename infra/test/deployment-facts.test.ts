import {
  COMMANDS,
  DEFAULT_PORTS,
  HEALTH_PATHS,
  VARIABLES,
  type VariableName,
  variablesOf,
} from '@ebox/deployment'
import { describe, expect, test } from 'vitest'
import { buildManifests } from '../src/manifests.ts'
import { loadStackFile } from '../src/stack-file.ts'
import { stacks } from './stacks.ts'

/** The manifests deploy the image as @ebox/deployment (imported by apps/registry too) describes it. */
describe.each(stacks)('stack %s against the image facts', (stack) => {
  const m = buildManifests(loadStackFile(stack))
  const pods = [
    { command: COMMANDS.serve, spec: m.registry.spec!.template.spec! },
    { command: COMMANDS.worker, spec: m.worker.spec!.template.spec! },
    { command: COMMANDS.migrate, spec: m.migration.spec!.template.spec! },
  ]
  const secret = (name: string) => (VARIABLES[name as VariableName] as { secret?: true }).secret === true

  test('each pod runs its command; serve and worker listen and are probed where the image says', () => {
    for (const { command, spec } of pods) {
      const container = spec.containers[0]!
      expect(container.args).toEqual([command])
      if (command === COMMANDS.migrate) continue
      expect(container.ports!.map((port) => port.containerPort)).toEqual([
        DEFAULT_PORTS.http,
        DEFAULT_PORTS.metrics,
      ])
      expect(container.livenessProbe!.httpGet!.path).toBe(HEALTH_PATHS.live)
      expect(container.readinessProbe!.httpGet!.path).toBe(HEALTH_PATHS.ready)
    }
  })

  test('secret variables come only from Secrets, and only to the processes that read them', () => {
    expect(Object.keys(m.config.data!).filter(secret)).toEqual([])
    for (const { command, spec } of pods) {
      const env = spec.containers[0]!.env ?? []
      const fromSecrets = env.filter((variable) => variable.valueFrom?.secretKeyRef).map((v) => v.name)
      // Every secret a pod gets is one its process reads.
      expect(fromSecrets.filter((name) => !variablesOf(command).includes(name as VariableName))).toEqual([])
      // A secret variable set in plain text is only a DATABASE_URL without a password (its password in PGPASSWORD).
      for (const variable of env.filter((v) => v.value !== undefined && secret(v.name))) {
        expect(variable.name).toBe('DATABASE_URL')
        expect(new URL(variable.value!).password).toBe('')
        expect(fromSecrets).toContain('PGPASSWORD')
      }
      // The database is always reachable with a secret: a URL from a Secret, or a password from one.
      expect(fromSecrets.some((name) => name === 'DATABASE_URL' || name === 'PGPASSWORD')).toBe(true)
      if (command !== COMMANDS.migrate) expect(fromSecrets).toContain('OAUTH_CLIENT_KEY')
    }
  })
})
