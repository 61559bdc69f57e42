import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/** Issue 18: the registry starts without a deprecation warning (FSTDEP023 was the disableRequestLogging option). */
const warnings: Error[] = []
const onWarning = (warning: Error) => warnings.push(warning)
let registry: TestRegistry
beforeAll(async () => {
  process.on('warning', onWarning)
  registry = await startTestRegistry()
  await registry.app.ready()
  await new Promise((resolve) => setImmediate(resolve))
})
afterAll(async () => {
  process.off('warning', onWarning)
  await registry.close()
})

it('builds the app without a Fastify deprecation warning', async () => {
  const response = await registry.app.inject({ url: '/health/live' })
  expect(response.statusCode).toBeLessThan(500)
  const deprecations = warnings.filter(
    (w) => w.name === 'FastifyDeprecation' || /^FSTDEP/.test(String((w as { code?: string }).code)),
  )
  expect(deprecations.map((w) => `${(w as { code?: string }).code}: ${w.message}`)).toEqual([])
})
