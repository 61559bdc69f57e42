import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * Imports only go downward (ARCHITECTURE.md): a module may import its own layer or a lower one, never a higher
 * one. Layers by top folder (or top-level file) of src/, lowest first.
 */
const LAYERS: string[][] = [
  // Foundations: configuration, the database, metrics plumbing; and the Partition service's port (types only).
  [
    'version',
    'environment-defaults',
    'http-methods',
    'config',
    'db',
    'metrics',
    'federation/partition-service',
    // The federation's HTTP client (own token, timeout, retry) that the verifiers use too; content-store
    // settings and byte ranges (pure).
    'federation/client',
    'federation/client-credentials',
    'content/config',
    'content/range',
  ],
  // Who the caller is and what it may see.
  ['auth'],
  // All SQL: repositories, the audit trail's storage, the reference-data cache, the demo data set, the content store.
  ['repositories', 'audit', 'reference-data', 'demo', 'content'],
  // Clients of federation services (they cache in repositories).
  ['federation'],
  // Use cases without HTTP.
  ['services'],
  // External plugins: third-party Fastify plugins and libraries, configured (CORS, helmet, rate limit, OpenAPI).
  ['plugins/external'],
  // App plugins: the app's own hooks and decorators (auth, audit, errors, metrics, app.pool, app.publication …).
  ['plugins/app'],
  // HTTP routes by resource.
  ['routes'],
  // Entry points and assembly.
  ['app', 'server', 'worker', 'cli', 'main', 'index'],
]

const src = fileURLToPath(new URL('../src', import.meta.url))

function layerOf(file: string): number {
  const path = relative(src, file).replace(/\.ts$/, '')
  const index = LAYERS.findIndex((names) =>
    names.some((name) => path === name || path.startsWith(`${name}/`)),
  )
  if (index < 0) throw new Error(`${path} belongs to no layer: add it to LAYERS`)
  return index
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

describe('layers', () => {
  it('every import of src/ goes to the same layer or a lower one', () => {
    const upward: string[] = []
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = join(dirname(file), match[1]!)
        if (layerOf(target) > layerOf(file)) upward.push(`${relative(src, file)} → ${relative(src, target)}`)
      }
    }
    expect(upward).toEqual([])
  })

  it('the worker imports no Fastify plugin, and no module below the plugins imports Fastify at run time', () => {
    const firstPluginLayer = layerOf(join(src, 'plugins/external'))
    const offenders = sources(src).filter((file) => {
      const path = relative(src, file)
      const text = readFileSync(file, 'utf8')
      if (path.startsWith('worker/')) return /from '\.\.\/(plugins|routes)\//.test(text)
      return layerOf(file) < firstPluginLayer && /^import (?!type )[^\n]*from 'fastify(-plugin)?'/m.test(text)
    })
    expect(offenders.map((file) => relative(src, file))).toEqual([])
  })

  it('the rest of the repository uses the registry through its exports (src/index.ts), never a deep path', () => {
    const root = join(src, '..', '..', '..')
    const outside = ['bench', 'capacity', 'chaos', 'packages', 'infra', 'scripts'].flatMap((dir) =>
      sourcesUnder(join(root, dir)),
    )
    const offenders = outside.filter((file) =>
      /from '[^']*apps\/registry\/(src|test)\//.test(readFileSync(file, 'utf8')),
    )
    expect(offenders.map((file) => relative(root, file))).toEqual([])
  })
})

/** TypeScript and JavaScript sources under `dir`, dependencies and build output aside. */
function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory())
      return ['node_modules', 'dist', '.data'].includes(entry.name) ? [] : sourcesUnder(path)
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [path] : []
  })
}
