import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { buildManifests, manifestList, service } from '../src/manifests.ts'
import { infraDir, loadStackFile } from '../src/stack-file.ts'
import { stacks } from './stacks.ts'

const root = join(infraDir, '..')
const dockerfile = readFileSync(join(root, 'apps/registry/Dockerfile'), 'utf8')

/** Instructions as [keyword, arguments], continuation lines joined and comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [keyword, ...rest] = line.split(/\s+/)
    return [keyword!.toUpperCase(), rest.join(' ')] as const
  })
const all = (keyword: string) => instructions.filter(([k]) => k === keyword).map(([, args]) => args)
const stages = all('FROM')
const finalStage = instructions.slice(instructions.findLastIndex(([k]) => k === 'FROM'))

describe('apps/registry/Dockerfile', () => {
  test('is multi-stage, every base a supported Node LTS pinned by digest', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    for (const from of stages) {
      expect(from).toMatch(/^node:(22|24)(\.\d+)*-[a-z0-9-]+@sha256:[0-9a-f]{64}( AS \w+)?$/)
    }
    expect(finalStage.filter(([k, args]) => k === 'COPY' && args.startsWith('--from=build'))).toHaveLength(1)
  })

  test('ships production dependencies only, built with the pinned pnpm', () => {
    const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      packageManager: string
    }
    const runs = all('RUN')
    expect(runs).toContain(`npm install --global ${packageManager}`)
    expect(runs).toContain('pnpm install --frozen-lockfile')
    expect(runs.some((run) => /pnpm --filter @ebox\/registry deploy --prod\b/.test(run))).toBe(true)
    // The runtime stage installs nothing: it only copies the deployed folder.
    expect(finalStage.filter(([k]) => k === 'RUN')).toEqual([])
    expect(finalStage.find(([k]) => k === 'ENV')?.[1]).toContain('NODE_ENV=production')
  })

  test('runs as a numeric non-root user', () => {
    const user = finalStage.filter(([k]) => k === 'USER').at(-1)?.[1]
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/)
    expect(Number(user!.split(':')[0])).toBe(service.uid)
  })

  test('is one image for serve, worker and migrate', () => {
    expect(all('ENTRYPOINT')).toEqual(['["node", "dist/main.js"]'])
    expect(all('CMD')).toEqual(['["serve"]'])
    expect(all('EXPOSE')).toEqual([`${service.httpPort} ${service.metricsPort}`])
    // The manifests run that one image with the three subcommands.
    for (const stack of stacks) {
      const pods = manifestList(buildManifests(loadStackFile(stack))).flatMap((m) => {
        const spec = (
          m as { spec?: { template?: { spec?: { containers: { image: string; args: string[] }[] } } } }
        ).spec
        return spec?.template?.spec?.containers ?? []
      })
      expect(new Set(pods.map((c) => c.image)).size).toBe(1)
      expect(pods.map((c) => c.args.join(' ')).sort()).toEqual(['migrate', 'serve', 'worker'])
    }
  })

  test('builds from a context without local dependencies or builds', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n')
    for (const entry of ['**/node_modules', '**/dist', '.git', '**/.env']) expect(ignored).toContain(entry)
  })
})
