import { readFileSync } from 'node:fs'
import {
  type Command,
  DEFAULT_PORTS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  HEALTH_PATHS,
  METRICS_PATH,
  VARIABLES,
  variablesOf,
} from '@ebox/deployment'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadMigrateConfig } from '../src/config/common.ts'
import { loadConfig } from '../src/config.ts'
import { loadContentCommandConfig } from '../src/content/cli.ts'
import { startMetricsServer } from '../src/metrics/prometheus.ts'
import { loadWorkerConfig } from '../src/worker/config.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * infra/ deploys the image from the facts of @ebox/deployment; these tests hold the service to them, so the two
 * cannot drift apart.
 */

/** The variable names a loader looks at, seen through an environment that records every read. */
function variablesRead(load: (env: Record<string, string | undefined>) => unknown): string[] {
  const read = new Set<string>()
  const env = new Proxy({} as Record<string, string | undefined>, {
    get(_target, name) {
      if (typeof name === 'string') read.add(name)
      return undefined
    },
  })
  try {
    load(env)
  } catch {
    // An empty environment is invalid; what matters is what was looked at.
  }
  return [...read].sort()
}

const LOADERS: Record<Command, (env: Record<string, string | undefined>) => unknown> = {
  serve: loadConfig,
  worker: loadWorkerConfig,
  migrate: loadMigrateConfig,
  content: loadContentCommandConfig,
}

describe('deployment facts', () => {
  it.each(Object.keys(LOADERS) as Command[])('%s reads exactly the variables declared for it', (command) => {
    expect(variablesRead(LOADERS[command])).toEqual(variablesOf(command).sort())
  })

  it('README.md documents every variable', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8')
    const undocumented = Object.keys(VARIABLES).filter((name) => !readme.includes(`\`${name}\``))
    expect(undocumented).toEqual([])
  })

  it('the defaults of PORT, METRICS_PORT and SHUTDOWN_GRACE_MS are the declared ones', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      OAUTH_ISSUER: 'https://issuer.example',
      OAUTH_AUDIENCE: 'registry',
      OAUTH_JWKS_URL: 'https://issuer.example/jwks',
    })
    expect([config.port, config.metrics.port]).toEqual([DEFAULT_PORTS.http, DEFAULT_PORTS.metrics])
    expect(config.shutdownGraceMs).toBe(DEFAULT_SHUTDOWN_GRACE_MS)
  })

  describe('paths', () => {
    let registry: TestRegistry
    beforeAll(async () => {
      registry = await startTestRegistry()
    })
    afterAll(() => registry.close())

    it('the API answers its probes on PORT', async () => {
      for (const url of [HEALTH_PATHS.live, HEALTH_PATHS.ready]) {
        expect((await registry.app.inject({ url })).statusCode).toBe(200)
      }
    })

    it('the metrics port answers Prometheus and the probes', async () => {
      const server = await startMetricsServer(new Registry(), {
        host: '127.0.0.1',
        port: 0,
        ready: async () => ({ ok: true, checks: {} }),
      })
      try {
        for (const path of [METRICS_PATH, HEALTH_PATHS.live, HEALTH_PATHS.ready]) {
          expect((await fetch(`${server.url}${path}`)).status).toBe(200)
        }
      } finally {
        await server.close()
      }
    })
  })
})
