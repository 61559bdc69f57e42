import { defineConfig } from 'vitest/config'
import { testDefaults } from '../vitest.shared.ts'

// The CLI tests start a process through tsx: slow on a loaded machine.
export default defineConfig(testDefaults({ testTimeout: 60_000 }))
