import type pg from 'pg'
import { Counter, Gauge, type Registry } from 'prom-client'
import { createRegistry, registerPoolMetrics } from '../metrics/prometheus.ts'
import { outboxBacklog } from '../repositories/outbox.ts'

export interface WorkerMetrics {
  registry: Registry
  /** EES requests by outcome (accepted, duplicate = 409, failed). */
  eesRequests: Counter<'outcome'>
  /** Events whose delivery attempt failed (each retry counts). */
  deliveryFailures: Counter
  /** Events moved to the dead-letter state. */
  deadLetters: Counter
  /** Reminders and alerts the scheduler queued. */
  scheduled: Counter<'event_type'>
  /** Loop errors (database unreachable …) by loop. */
  loopErrors: Counter<'loop'>
}

/**
 * The worker's metrics. Backlog, age of the oldest pending event and dead letters are read from the outbox at
 * scrape time (one query per scrape, over the partial indexes of migration 0005).
 */
export function createWorkerMetrics(pool: pg.Pool, poolMax: number): WorkerMetrics {
  const registry = createRegistry('worker')
  registerPoolMetrics(registry, pool, poolMax)

  let snapshot: Promise<{ pending: number; oldestSeconds: number; dead: number }> | undefined
  let takenAt = 0
  const outbox = () => {
    if (!snapshot || Date.now() - takenAt > 1_000) {
      takenAt = Date.now()
      snapshot = outboxBacklog(pool)
      snapshot.catch(() => {
        snapshot = undefined
      })
    }
    return snapshot
  }
  new Gauge({
    name: 'outbox_backlog',
    help: 'Events waiting for delivery to EES (status pending).',
    registers: [registry],
    async collect() {
      this.set((await outbox()).pending)
    },
  })
  new Gauge({
    name: 'outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest event waiting for delivery (0 when none): alert when it grows.',
    registers: [registry],
    async collect() {
      this.set((await outbox()).oldestSeconds)
    },
  })
  new Gauge({
    name: 'outbox_dead_letters',
    help: 'Events in the dead-letter state (gave up after OUTBOX_MAX_ATTEMPTS); `registry worker requeue-dead`.',
    registers: [registry],
    async collect() {
      this.set((await outbox()).dead)
    },
  })
  const eesRequests = new Counter({
    name: 'ees_requests_total',
    help: 'POSTs to the e-Box Event Service by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  for (const outcome of ['accepted', 'duplicate', 'failed']) eesRequests.inc({ outcome }, 0)
  return {
    registry,
    eesRequests,
    deliveryFailures: new Counter({
      name: 'ees_delivery_failures_total',
      help: 'Event delivery attempts that failed (each retry counts).',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'outbox_dead_letters_total',
      help: 'Events moved to the dead-letter state.',
      registers: [registry],
    }),
    scheduled: new Counter({
      name: 'scheduler_events_total',
      help: 'Reminders and expiration alerts queued by the scheduler.',
      labelNames: ['event_type'],
      registers: [registry],
    }),
    loopErrors: new Counter({
      name: 'worker_loop_errors_total',
      help: 'Rounds of the delivery or scheduler loop that failed (e.g. database unreachable).',
      labelNames: ['loop'],
      registers: [registry],
    }),
  }
}
