import { describe, expect, it } from 'vitest'
import { firstBottleneck, headrooms } from '../src/limits.ts'
import { meanAttachmentBytes, ratesOf, scaled, size } from '../src/model.ts'
import { costs, platform, workload } from './fixtures.ts'

// Every expected value below is worked out by hand from test/fixtures.ts (one event per second on average).
describe('rates', () => {
  it('turns a day into a second and applies the peak factor and the federation replicas', () => {
    expect(ratesOf(workload, true)).toEqual({
      publications: 2,
      attachments: 2,
      lists: 2,
      details: 2,
      referenceData: 6,
      downloads: 2,
      searches: 2,
    })
    const replicated = { ...workload, portal: { ...workload.portal, federationCallReplicas: 3 } }
    expect(ratesOf(replicated, false)).toMatchObject({
      publications: 1,
      lists: 3,
      referenceData: 9,
      searches: 3,
    })
  })

  it('weights attachment sizes by their share', () => {
    expect(meanAttachmentBytes(workload)).toBe(1_000_000)
  })

  it('scales every daily figure with the growth factor', () => {
    expect(ratesOf(scaled(workload, 10), true)).toMatchObject({ publications: 20, lists: 20, searches: 20 })
  })
})

describe('size', () => {
  const s = size(workload, costs, platform)

  it('sizes the API from service CPU at peak over request × target utilisation', () => {
    // (2×2 + 2×1 + 6×0.1 + 2×(3 + 1) + 2×2 + 2×(10 + 1)) ms/s = 40.6 ms/s; one pod gives 0.5 × 0.5 core.
    expect(s.api.coresAtPeak).toBeCloseTo(0.0406, 6)
    expect(s.api.podsAtPeak).toBe(2) // the minimum: one pod would do
    expect(s.api.memoryRequestMiB).toBe(256) // 250 MB peak RSS, rounded up to 16 MB
    expect(s.api.memoryLimitMiB).toBe(320) // + 64 MB headroom
    expect(size(scaled(workload, 100), costs, platform).api.podsAtPeak).toBe(17) // 4.06 cores ÷ 0.25
  })

  it('sizes PostgreSQL from backend CPU, without per-byte work when contents are in object storage', () => {
    // 2×1 + 2×0.5 + 2×20 + 2×2 + 2×8 = 63 ms/s
    expect(s.postgres.coresAtPeak).toBeCloseTo(0.063, 6)
    expect(s.postgres.vcpu).toBe(1)
    const inPostgres = size({ ...workload, contentStore: 'postgres' }, costs, platform)
    // downloads and publications each add 2 ms per MB: + 2×2 + 2×2
    expect(inPostgres.postgres.coresAtPeak).toBeCloseTo(0.071, 6)
  })

  it('counts WAL, IOPS and busy connections', () => {
    // Publication: 1.1 MB measured with its 1 MB attachment in PostgreSQL → 100 kB without it; 8 audited reads/s.
    expect(s.postgres.walBytesPerSecond).toBe(2 * 100_000 + 8 * 500)
    expect(s.postgres.iops).toBeCloseTo(2 + 10 + (2 * 204_000) / 8000, 6)
    // rate × (PostgreSQL CPU + statements × 1 ms): 8 + 5 + 6 + 42 + 6 + 18 = 85 ms/s over 2 pods
    expect(s.api.connectionsBusyPerPod).toBeCloseTo(0.0425, 6)
    expect(s.connections).toEqual({ configured: 2 * 11 + 1 * 5 + 3, budget: 100 })
    const inPostgres = size({ ...workload, contentStore: 'postgres' }, costs, platform)
    expect(inPostgres.postgres.walBytesPerSecond).toBe(2 * 1_100_000 + 8 * 500)
  })

  it('sizes workers from events per second over what one pod delivers', () => {
    expect(s.workers).toEqual({ pods: 1, eventsPerSecondPerPod: 200 }) // 2 loops × 50 events ÷ 0.5 s
    expect(s.ees.eventsPerSecond).toBe(2)
    expect(size(scaled(workload, 1000), costs, platform).workers.pods).toBe(10)
  })

  it('grows storage per year from bytes per row, and object storage over the retention', () => {
    const messages = 86_400 * 365
    expect(s.storagePerYear.rows).toBe(messages * (1000 + 100 + 200))
    expect(s.storagePerYear.indexes).toBe(messages * (500 + 50 + 100))
    expect(s.storagePerYear.audit).toBe(5 * messages * 400) // 5 audited requests per second on average
    expect(s.storagePerYear.wal).toBe((100_000 + 4 * 500) * messages)
    expect(s.objectStorage).toEqual({ bytes: 2 * messages * 1_000_000, putsPerSecond: 2, getsPerSecond: 2 })
    expect(s.storageAtRetention.database).toBe(2 * messages * (1300 + 650 + 5 * 400))
    expect(s.network.egressBytesPerSecond).toBe(2_000_000)
  })
})

describe('headrooms', () => {
  const rows = headrooms(workload, costs, platform)
  const row = (resource: string) => rows.find((r) => r.resource === resource)!

  it('gives each resource its headroom and the first growth factor that passes its limit', () => {
    expect(row('PostgreSQL connections')).toMatchObject({ required: 30, limit: 100, firstHitAt: 100 })
    expect(row('PostgreSQL connections').headroom).toBeCloseTo(100 / 30, 6)
    // 4.06 cores at ×100 over 10 pods × 0.25 core
    expect(row('API CPU')).toMatchObject({ limit: 2.5, firstHitAt: 100 })
    expect(row('API CPU').required).toBeCloseTo(0.0406, 6)
    // 6.3 cores at ×100 over 8 vCPU × 0.5
    expect(row('PostgreSQL CPU')).toMatchObject({ limit: 4, firstHitAt: 100 })
    expect(row('Audit appends')).toMatchObject({ required: 10, limit: 2000, firstHitAt: undefined })
  })

  it('names the resource with the least headroom as the first bottleneck', () => {
    expect(firstBottleneck(rows).resource).toBe('PostgreSQL connections')
  })

  it('says a limit is already passed', () => {
    const tight = { ...platform, postgres: { ...platform.postgres, maxConnections: 20 } }
    const connections = headrooms(workload, costs, tight).find(
      (r) => r.resource === 'PostgreSQL connections',
    )!
    expect(connections.firstHitAt).toBe(1)
    expect(connections.headroom).toBeLessThan(1)
  })
})
