import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { buildManifests, type KubeObject, manifestList } from '../src/manifests.ts'
import { renderStack } from '../src/render.ts'
import { infraDir, loadStackFile } from '../src/stack-file.ts'
import { validateManifest } from '../src/validate.ts'
import { stacks } from './stacks.ts'

const tempDir = () => mkdtempSync(join(tmpdir(), 'infra-render-'))

describe.each(stacks)('rendered YAML of stack %s', (stack) => {
  test('is written one object per file and validates against the Kubernetes schema', () => {
    const dir = tempDir()
    const { files } = renderStack(stack, dir)
    expect(readdirSync(dir).sort()).toEqual(files.map((file) => file.slice(dir.length + 1)).sort())
    expect(files).toHaveLength(24)
    for (const file of files) {
      const manifest = parse(readFileSync(file, 'utf8')) as KubeObject
      expect(validateManifest(manifest), file).toEqual([])
    }
  })

  test('never contains a secret value', () => {
    const dir = tempDir()
    const text = renderStack(stack, dir)
      .files.map((file) => readFileSync(file, 'utf8'))
      .join('\n')
    expect(text).toContain('oauth-client-key: (set from a Pulumi secret)')
    // The service's connection string names the server and the role; the password comes from a Secret.
    expect(text).toContain('postgres://ebox_registry_service@registry-db-rw:5432/registry')
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY|postgres:\/\/[^/\s@]*:[^/\s@]*@/)
  })
})

test('`render -- --stack <name>` writes the folder without the Pulumi CLI', { timeout: 60_000 }, () => {
  const out = tempDir()
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/render.ts', ...args], {
      cwd: infraDir,
      encoding: 'utf8',
    })
  const ok = run('--', '--stack', 'acc', '--out', out)
  expect(ok.stderr).toBe('')
  expect(ok.stdout).toContain(`24 manifests of stack acc written to ${out}`)
  expect(ok.stdout).toContain('note: ebox-registry:ees.cidrs still holds a placeholder')
  expect(readdirSync(out)).toContain('16-Deployment-registry.yaml')
  expect(run('--').status).toBe(2)
})

describe('offline validation', () => {
  const deployment = () => structuredClone(buildManifests(loadStackFile('prd')).registry)

  test('finds misspelled fields, which the API server would silently drop', () => {
    const broken = deployment() as unknown as { spec: { template: { spec: { containers: object[] } } } }
    Object.assign(broken.spec.template.spec.containers[0]!, {
      readinesProbe: {},
      securityContext: { runAsNonroot: true },
    })
    Object.assign(broken.spec, { replica: 2 })
    expect(validateManifest(broken as unknown as KubeObject).sort()).toEqual([
      'unknown field spec.replica',
      'unknown field spec.template.spec.containers[0].readinesProbe',
      'unknown field spec.template.spec.containers[0].securityContext.runAsNonroot',
    ])
  })

  test('finds wrong types, wrong enum values and missing required fields', () => {
    const wrongType = deployment()
    wrongType.spec!.replicas = '3' as unknown as number
    expect(validateManifest(wrongType as KubeObject).join()).toMatch(/replicas.*must be integer/)
    const wrongEnum = deployment()
    wrongEnum.spec!.strategy!.type = 'Rolling' as 'RollingUpdate'
    expect(validateManifest(wrongEnum as KubeObject).join()).toMatch(/strategy\/type.*allowed values/)
    const missing = deployment()
    delete (missing.spec!.template.spec!.containers[0] as { name?: string }).name
    expect(validateManifest(missing as KubeObject).join()).toMatch(
      /containers\/0 must have required property name/,
    )
  })

  test('label maps and quantities are known fields, whatever their keys', () => {
    for (const manifest of manifestList(buildManifests(loadStackFile('prd')))) {
      expect(validateManifest(manifest)).toEqual([])
    }
  })
})

describe('content-hashed names', () => {
  const settings = loadStackFile('acc')
  const names = (s: typeof settings) => {
    const m = buildManifests(s)
    return {
      config: m.config.metadata!.name,
      job: m.migration.metadata!.name,
      template: JSON.stringify(m.registry.spec!.template),
    }
  }

  test('are stable for the same config', () => {
    expect(names(settings)).toEqual(names(loadStackFile('acc')))
  })

  test('a config change renames the ConfigMap, rolls the pods and reruns the migration', () => {
    const before = names(settings)
    const after = names({ ...settings, corsOrigins: ['https://other.example'] })
    expect(after.config).not.toBe(before.config)
    expect(after.template).not.toBe(before.template)
    expect(after.job).not.toBe(before.job)
  })

  test('a new image keeps the ConfigMap and runs a new migration Job', () => {
    const before = names(settings)
    const after = names({ ...settings, image: `ghcr.io/ebox/registry@sha256:${'b'.repeat(64)}` })
    expect(after.config).toBe(before.config)
    expect(after.job).toMatch(/^registry-migrate-[0-9a-f]{10}$/)
    expect(after.job).not.toBe(before.job)
  })
})

describe.each(stacks)('publication staging of stack %s', (stack) => {
  const m = buildManifests(loadStackFile(stack))
  const env = m.config.data as Record<string, string>
  const podSpec = (deployment: typeof m.registry) => deployment.spec!.template.spec!

  test('the api pods stage on a volume larger than what the service admits, itself above one request', () => {
    const spec = podSpec(m.registry)
    const volume = spec.volumes!.find((v) => v.name === 'staging')
    const mount = spec.containers[0]!.volumeMounts!.find((v) => v.name === 'staging')
    expect(mount?.mountPath).toBe(env.PUBLICATION_STAGING_DIR)
    const limitBytes = Number.parseInt(String(volume?.emptyDir?.sizeLimit), 10) * 1024 ** 2
    const admitted = Number(env.PUBLICATION_STAGING_MAX_BYTES)
    expect(limitBytes).toBeGreaterThan(admitted)
    expect(admitted).toBeGreaterThan(Number(env.PUBLICATION_MAX_REQUEST_BYTES))
  })

  test('the worker, which never publishes, has no staging volume', () => {
    expect(podSpec(m.worker).volumes!.map((v) => v.name)).toEqual(['tmp'])
  })
})
