import { defineConfig } from 'vitest/config'
// A bound, not a speed target: scenario 2 restarts the registry after a SIGKILL, which took over 180 s once in CI
// while the registry's own tests ran on the same two cores.
import { testDefaults } from '../vitest.shared.ts'

export default defineConfig(testDefaults({ testTimeout: 400_000 }))
