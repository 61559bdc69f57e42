import { SCOPES } from '@ebox/contract'
import { DEMO, type DemoDataSet } from '@ebox/demo-data'
import type { LightMyRequestResponse } from 'fastify'
import { seedDemoDataSet } from '../../src/demo/seed.ts'
import { startTestRegistry, type TestRegistry } from './registry.ts'

export interface DemoRegistry extends TestRegistry {
  set: DemoDataSet
  /** Authorization headers of the main enterprise e-Box (an application: every partition). */
  main: { authorization: string }
  second: { authorization: string }
  citizen: { authorization: string }
  /** GET with the main e-Box's token (or `headers`). */
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>
}

/** A test registry holding the demo data set, loaded through the same code as `registry seed demo`. */
export async function startDemoRegistry(env: Record<string, string> = {}): Promise<DemoRegistry> {
  const registry = await startTestRegistry(env)
  const set = await seedDemoDataSet(registry.pool)
  const scopes = [SCOPES.documentConsumer, SCOPES.referenceData]
  const bearer = async (claims: Parameters<TestRegistry['token']>[0]) => ({
    authorization: `Bearer ${await registry.token(claims)}`,
  })
  const main = await bearer({ scopes })
  return Object.assign(registry, {
    set,
    main,
    second: await bearer({ scopes, cbe: DEMO.secondEnterprise }),
    citizen: await bearer({ scopes, cbe: undefined, ssin: DEMO.citizenSsin }),
    get: (url: string, headers: Record<string, string> = main) =>
      registry.app.inject({ method: 'GET', url, headers }),
  })
}
