import { defineConfig } from 'vitest/config'
import { testDefaults } from '../vitest.shared.ts'

export default defineConfig(testDefaults({ globalSetup: ['test/global-setup.ts'], testTimeout: 60_000 }))
