import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { type ChannelListener, startChannelListener } from '../../db/listener.ts'
import { ReferenceDataCache } from '../../reference-data/cache.ts'
import { REFERENCE_DATA_CHANNEL } from '../../repositories/reference-data/import.ts'

declare module 'fastify' {
  interface FastifyInstance {
    referenceDataCache: ReferenceDataCache
  }
}

/** The application_name of the LISTEN session in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'ebox-registry-listen'

/**
 * The in-process cache of reference-data answers and what keeps it correct across processes and replicas: one
 * dedicated connection LISTENs on REFERENCE_DATA_CHANNEL (importReferenceData notifies it at commit) and clears
 * the cache on each notification; while that connection is down the cache is bypassed. Started when the app is
 * ready, closed with it. Needs the metrics plugin.
 */
export default fp(
  async function referenceDataCachePlugin(app: FastifyInstance, options: { databaseUrl: string }) {
    const cache = new ReferenceDataCache()
    let listener: ChannelListener | undefined
    app.decorate('referenceDataCache', cache)

    const registers = [app.metrics.registry]
    new Gauge({
      name: 'reference_data_cache_listener_up',
      help: 'Whether the LISTEN connection for reference-data changes is up (0: the cache is bypassed).',
      registers,
      collect() {
        this.set(listener?.up ? 1 : 0)
      },
    })
    new Gauge({
      name: 'reference_data_cache_entries',
      help: 'Reference-data answers held in memory.',
      registers,
      collect() {
        this.set(cache.size)
      },
    })
    new Counter({
      name: 'reference_data_cache_lookups_total',
      help: 'Reference-data reads by outcome: hit, miss (read from the database or joined such a read), bypass (listener down).',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset()
        this.inc({ result: 'hit' }, cache.stats.hits)
        this.inc({ result: 'miss' }, cache.stats.misses)
        this.inc({ result: 'bypass' }, cache.stats.bypassed)
      },
    })

    app.addHook('onReady', async () => {
      listener = startChannelListener({
        connectionString: options.databaseUrl,
        channel: REFERENCE_DATA_CHANNEL,
        applicationName: LISTENER_APPLICATION_NAME,
        log: app.log.child({ component: 'reference-data-cache' }),
        onUp: () => cache.enable(),
        onDown: () => cache.disable(),
        onNotification: () => cache.invalidate(),
      })
    })
    app.addHook('onClose', async () => {
      cache.disable()
      await listener?.close()
    })
  },
  { name: 'reference-data-cache', dependencies: ['metrics'] },
)
