import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ViteUserConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources (their `source` export), so tests never need a build.
const root = fileURLToPath(new URL('.', import.meta.url))
const workspaceSources = ['packages', 'apps'].flatMap((group) =>
  readdirSync(`${root}${group}`)
    .map((name) => `${root}${group}/${name}`)
    .filter((dir) => existsSync(`${dir}/package.json`) && existsSync(`${dir}/src/index.ts`))
    .map((dir) => ({
      find: JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')).name as string,
      replacement: `${dir}/src/index.ts`,
    })),
)

/** One vitest setup for every package: workspace sources, a JSON report that scripts/run-tests.mjs sums. */
export function testDefaults(extra: { globalSetup?: string[]; testTimeout?: number } = {}): ViteUserConfig {
  return {
    resolve: {
      alias: workspaceSources.map(({ find, replacement }) => ({
        find: new RegExp(`^${find}$`),
        replacement,
      })),
    },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: 'reports/vitest.json' },
      testTimeout: extra.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      globalSetup: extra.globalSetup ?? [],
    },
  }
}
