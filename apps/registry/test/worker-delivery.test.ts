import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { requeueDead } from '../src/repositories/outbox.ts'
import { backoffMs, deliverBatch } from '../src/worker/delivery.ts'
import type { EesClient } from '../src/worker/ees-client.ts'
import { type EesStub, startEesStub } from './support/ees-stub.ts'
import {
  eesClientFor,
  FAST_DELIVERY,
  manualClock,
  outboxRows,
  queueNewDocuments,
} from './support/federation-fixtures.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
let stub: EesStub
let ees: EesClient

beforeAll(async () => {
  registry = await startTestRegistry()
  stub = await startEesStub({ tokenIsValid: (token) => registry.issuer.introspect(token).active })
  ees = await eesClientFor(registry.issuer, stub.url, 500)
})
afterAll(async () => {
  await stub.close()
  await registry.close()
})
beforeEach(async () => {
  await registry.pool.query('DELETE FROM outbox_events')
  stub.received.length = 0
  stub.accepted.clear()
  stub.behaviour = 'ok'
  await stub.start()
})

const clock = manualClock(new Date())
const round = () => deliverBatch(registry.pool, ees, clock.now, FAST_DELIVERY)
/** Rounds until nothing is due at the current time. */
async function drain() {
  for (let i = 0; i < 100; i++) if ((await round()).claimed === 0) return
  throw new Error('outbox never drained')
}

describe('delivery to EES', () => {
  it('posts due events as JSON arrays of at most OUTBOX_BATCH_SIZE, with a Bearer token from private_key_jwt', async () => {
    clock.set(new Date(Date.now() + 1_000))
    const messageIds = await queueNewDocuments(registry.pool, 25)
    await drain()
    expect(stub.requests).toBeGreaterThanOrEqual(3)
    expect(stub.received.map((event) => event.messageId).sort()).toEqual([...messageIds].sort())
    expect(stub.authorizations.at(-1)).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/)
    const rows = await outboxRows(registry.pool)
    expect(
      rows.every((row) => row.status === 'delivered' && row.attempts === 1 && row.claim_id === null),
    ).toBe(true)
    // The payload as EES v2 reads it: the outbox row's id is the correlation id.
    const first = rows[0]!
    expect(stub.accepted.get(first.event_id)).toEqual({
      eventType: 'newDocument',
      eventCorrelationId: first.event_id,
      enterpriseId: '0406798006',
      messageId: first.message_id,
      receiptDate: '2026-11-25T10:00:00+01:00',
      expirationDate: '2027-11-25T10:00:00+01:00',
      registeredMail: expect.any(Boolean),
    })
  })

  it('an outage delays events and loses none; after it each arrives once with its correlation id', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 12)
    await stub.stop()
    for (let i = 0; i < 3; i++) {
      await drain()
      const rows = await outboxRows(registry.pool)
      expect(rows.every((row) => row.status === 'pending' && row.attempts === i + 1)).toBe(true)
      expect(rows[0]!.last_error).toMatch(/unreachable/)
      // Exponential back-off with jitter: between half and all of base × 2^(attempts-1).
      const wait = rows[0]!.next_attempt_at.getTime() - clock.now().getTime()
      expect(wait).toBeGreaterThanOrEqual(500 * 2 ** i)
      expect(wait).toBeLessThanOrEqual(1_000 * 2 ** i)
      clock.advance(1_000 * 2 ** i)
    }
    stub.behaviour = 'fail'
    await stub.start()
    await drain()
    expect((await outboxRows(registry.pool)).every((row) => row.status === 'pending')).toBe(true)
    expect(stub.accepted.size).toBe(0)

    stub.behaviour = 'ok'
    clock.advance(60_000)
    await drain()
    const rows = await outboxRows(registry.pool)
    expect(rows.every((row) => row.status === 'delivered')).toBe(true)
    expect([...stub.accepted.keys()].sort()).toEqual(rows.map((row) => row.event_id).sort())
    expect(stub.accepted.size).toBe(12)
  })

  it('EES answering 429 with Retry-After is retried no sooner than it asked, then delivered', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 3)
    stub.behaviour = 'busy'
    await drain()
    let rows = await outboxRows(registry.pool)
    expect(rows.every((row) => row.status === 'pending' && row.attempts === 1)).toBe(true)
    expect(rows[0]!.last_error).toMatch(/429/)
    // The back-off alone would retry within 1 s (base 1 s, first attempt); EES asked for 30 s.
    for (const row of rows) {
      expect(row.next_attempt_at.getTime() - clock.now().getTime()).toBeGreaterThanOrEqual(30_000)
    }
    stub.behaviour = 'ok'
    clock.advance(20_000)
    await drain()
    expect(stub.accepted.size).toBe(0)
    clock.advance(11_000)
    await drain()
    rows = await outboxRows(registry.pool)
    expect(rows.every((row) => row.status === 'delivered')).toBe(true)
    expect(stub.accepted.size).toBe(3)
  })

  it('a hanging EES costs a timeout, then a retry', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 3)
    stub.behaviour = 'hang'
    const report = await round()
    expect(report).toMatchObject({ claimed: 3, retried: 3, delivered: 0 })
    expect(report.errors[0]).toMatch(/no answer within 500 ms/)
    stub.behaviour = 'ok'
    clock.advance(60_000)
    await drain()
    expect(stub.accepted.size).toBe(3)
    expect((await outboxRows(registry.pool)).map((row) => row.attempts)).toEqual([2, 2, 2])
  })

  it('an answer lost after EES accepted: the retry is the only repeat, and 409 counts as delivered', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 4)
    stub.behaviour = 'lose-answer'
    await round()
    expect(stub.accepted.size).toBe(4)
    stub.behaviour = 'ok'
    // A new event joins the retried ones: the batch answers 409, so the worker posts each alone.
    await queueNewDocuments(registry.pool, 1)
    clock.advance(60_000)
    await drain()
    const rows = await outboxRows(registry.pool)
    expect(rows.every((row) => row.status === 'delivered')).toBe(true)
    expect(stub.accepted.size).toBe(5)
    const counts = new Map<string, number>()
    for (const event of stub.received)
      counts.set(event.eventCorrelationId, (counts.get(event.eventCorrelationId) ?? 0) + 1)
    // Every event arrived; the only repeats carry the correlation id of an event EES already had.
    expect([...counts.keys()].sort()).toEqual(rows.map((row) => row.event_id).sort())
    for (const [id, count] of counts) {
      if (count > 1) expect(stub.accepted.has(id)).toBe(true)
    }
  })

  it('dead-letters an event after OUTBOX_MAX_ATTEMPTS; requeue brings it back', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 2)
    stub.behaviour = 'fail'
    let dead = 0
    for (let attempt = 1; attempt <= FAST_DELIVERY.maxAttempts; attempt++) {
      dead += (await round()).dead
      clock.advance(FAST_DELIVERY.backoffMaxMs)
    }
    expect(dead).toBe(2)
    const rows = await outboxRows(registry.pool)
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([
      ['dead', 5],
      ['dead', 5],
    ])
    expect(rows[0]!.last_error).toContain('EES answered 503')
    expect((await round()).claimed).toBe(0)

    stub.behaviour = 'ok'
    expect(await requeueDead(registry.pool, clock.now())).toBe(2)
    await drain()
    expect((await outboxRows(registry.pool)).map((row) => row.status)).toEqual(['delivered', 'delivered'])
  })

  it('a rejected token is dropped and the POST retried once with a new one', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 1)
    await drain()
    const used = stub.authorizations.at(-1)!.slice('Bearer '.length)
    expect(registry.issuer.revoke(used)).toBe(true)
    await queueNewDocuments(registry.pool, 1)
    const before = stub.requests
    const report = await round()
    expect(report).toMatchObject({ delivered: 1, errors: [] })
    expect(stub.requests - before).toBe(2)
    expect(stub.authorizations.at(-2)).toBe(`Bearer ${used}`)
    expect(stub.authorizations.at(-1)).not.toContain(used)
    expect((await outboxRows(registry.pool)).every((row) => row.status === 'delivered')).toBe(true)
  })

  it('a worker that dies between claim and POST loses nothing: its lease runs out and the batch is taken again', async () => {
    clock.set(new Date(Date.now() + 1_000))
    await queueNewDocuments(registry.pool, 5)
    const dying = deliverBatch(registry.pool, ees, clock.now, FAST_DELIVERY, {
      afterClaim() {
        throw new Error('SIGKILL')
      },
    })
    await expect(dying).rejects.toThrow('SIGKILL')
    const claimed = await outboxRows(registry.pool)
    expect(claimed.every((row) => row.status === 'pending' && row.claim_id !== null)).toBe(true)
    // Within the lease nobody else takes them …
    clock.advance(FAST_DELIVERY.leaseMs - 1_000)
    expect((await round()).claimed).toBe(0)
    // … after it, they are due again.
    clock.advance(2_000)
    await drain()
    expect((await outboxRows(registry.pool)).every((row) => row.status === 'delivered')).toBe(true)
    expect(stub.accepted.size).toBe(5)
  })
})

describe('back-off', () => {
  it('doubles from the base up to the maximum, jittered between half and all of it', () => {
    const options = { backoffBaseMs: 1_000, backoffMaxMs: 900_000 }
    expect([1, 2, 3, 4].map((n) => backoffMs(n, options, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000])
    expect([1, 2, 3].map((n) => backoffMs(n, options, () => 0))).toEqual([500, 1_000, 2_000])
    expect(backoffMs(40, options, () => 1)).toBe(900_000)
    expect(backoffMs(1_000, options, () => 0.5)).toBe(675_000)
  })
})
