import type { ViteUserConfig } from 'vitest/config'

/** One vitest setup for every package: workspace sources, a JSON report that scripts/run-tests.mjs sums. */
export function testDefaults(extra: { globalSetup?: string[]; testTimeout?: number } = {}): ViteUserConfig {
  return {
    resolve: { conditions: ['source'] },
    ssr: { resolve: { conditions: ['source'] } },
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
