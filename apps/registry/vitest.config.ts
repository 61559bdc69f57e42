import { defineConfig } from 'vitest/config'
import { testDefaults } from '../../vitest.shared.ts'

const defaults = testDefaults({ globalSetup: ['test/global-setup.ts'] })

/** The files that store or read attachment content run a second time with CONTENT_STORE=s3 (issue 17). */
const CONTENT_FILES = [
  'test/content-*.test.ts',
  'test/publication.test.ts',
  'test/publication-roundtrip.test.ts',
  'test/publication-streaming.test.ts',
  'test/publication-limits.test.ts',
  'test/consultation-read.test.ts',
]

export default defineConfig({
  ...defaults,
  test: {
    ...defaults.test,
    projects: [
      { extends: true, test: { name: 'postgres' } },
      {
        extends: true,
        test: { name: 's3', include: CONTENT_FILES, env: { TEST_CONTENT_STORE: 's3' } },
      },
    ],
  },
})
