import { defineConfig } from 'vitest/config'
import { testDefaults } from '../../vitest.shared.ts'

export default defineConfig(testDefaults({ globalSetup: ['src/global-setup.ts'] }))
