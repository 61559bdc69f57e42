import { defineConfig } from 'vitest/config'
import { testDefaults } from '../../vitest.shared.ts'

const defaults = testDefaults({ globalSetup: ['test/global-setup.ts'] })
const { reporters, outputFile, ...projectTest } = defaults.test!

/** The files that store or read attachment content run a second time with CONTENT_STORE=s3 (issue 17). */
const CONTENT_FILES = [
  'test/content-*.test.ts',
  'test/publication.test.ts',
  'test/publication-roundtrip.test.ts',
  'test/publication-streaming.test.ts',
  'test/publication-limits.test.ts',
  'test/consultation-read.test.ts',
]

// Each project spelled out (not `extends: true`, which would add the s3 project's include to every file).
export default defineConfig({
  test: {
    reporters,
    outputFile,
    projects: [
      { resolve: defaults.resolve, test: { ...projectTest, name: 'postgres' } },
      {
        resolve: defaults.resolve,
        test: { ...projectTest, name: 's3', include: CONTENT_FILES, env: { TEST_CONTENT_STORE: 's3' } },
      },
    ],
  },
})
