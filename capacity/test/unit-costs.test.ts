import { describe, expect, it } from 'vitest'
import { latestRuns } from '../src/files.ts'
import { MissingFigure, unitCosts } from '../src/unit-costs.ts'
import { scenario, summary } from './fixtures.ts'

const MiB = 1024 * 1024
const storage = [
  { name: 'messages', rows: 100, heapBytes: 80_000, toastBytes: 20_000, indexBytes: 50_000 },
  { name: 'attachments', rows: 200, heapBytes: 40_000, toastBytes: 0, indexBytes: 20_000 },
  { name: 'audit_records', rows: 1000, heapBytes: 300_000, toastBytes: 0, indexBytes: 100_000 },
  { name: 'outbox_events', rows: 100, heapBytes: 10_000, toastBytes: 0, indexBytes: 5_000 },
]
const cpuRun = summary([
  scenario('list-page-1', 2, 1, { statementsPerRequest: 3 }),
  scenario('list-page-1-at-400', 2.5, 1, { fixedRatePerSecond: 400 }),
  scenario('message-detail', 1, 0.5, { statementsPerRequest: 2 }),
  scenario('reference-data', 0.1, 0),
  scenario('search-fr', 2, 20),
  // 49 MiB more cost 49 ms more of service CPU and 98 ms more of PostgreSQL's: 1 ms and 2 ms per MiB.
  scenario('content-1mb', 3, 2),
  scenario('content-50mb', 52, 100),
  scenario('publication-1mb', 11, 10),
])

describe('unit costs', () => {
  const u = unitCosts(cpuRun, summary(cpuRun.scenarios, { storage, scope: 'partial' }))

  it('takes the larger figure of the OAuth modes and of the variants of a scenario', () => {
    expect(u.list).toEqual({ serviceMs: 2.6, postgresMs: 1.1, statements: 3 })
    expect(u.detail).toEqual({ serviceMs: 1.1, postgresMs: 0.6, statements: 2 })
    expect(u.peakRssMiB).toBe(210)
  })

  it('fits a fixed part and a cost per byte through the two download sizes', () => {
    expect(u.download.serviceMsPerByte * MiB).toBeCloseTo(1, 9)
    expect(u.download.postgresMsPerByte * MiB).toBeCloseTo(2, 9)
    expect(u.download.fixed.serviceMs).toBeCloseTo(2.1, 9)
    expect(u.download.fixed.postgresMs).toBeCloseTo(0.1, 9)
    // The 1 MiB publication less a download's cost of 1 MiB.
    expect(u.publication.fixed.serviceMs).toBeCloseTo(10.1, 9)
    expect(u.publication.fixed.postgresMs).toBeCloseTo(8.1, 9)
  })

  it('reads bytes per row and WAL per request from the run that measured them', () => {
    expect(u.message).toEqual({ rows: 1000, indexes: 500 })
    expect(u.auditRecord).toEqual({ rows: 300, indexes: 100 })
    expect(u.walBytesPerPublication).toBe(2000)
    // Audited scenarios without a fixed rate: the highest rate one process sustained.
    expect(u.auditedRatePerSecondMeasured).toBe(101)
  })

  it('refuses a run without a scenario it needs, or without table sizes', () => {
    const withoutSearch = summary(cpuRun.scenarios.filter((s) => s.id !== 'search-fr'))
    expect(() => unitCosts(withoutSearch, summary(cpuRun.scenarios, { storage }))).toThrow(MissingFigure)
    expect(() => unitCosts(cpuRun, cpuRun)).toThrow(/no table sizes/)
  })
})

describe('latest runs', () => {
  it('takes CPU from the newest full run and sizes from the newest run that measured them', () => {
    const oldFull = summary([], { startedAt: '2026-01-01T00:00:00.000Z' })
    const newFull = summary([], { startedAt: '2026-03-01T00:00:00.000Z' })
    const partialWithStorage = summary([], {
      startedAt: '2026-02-01T00:00:00.000Z',
      scope: 'partial',
      storage,
    })
    const newestPartial = summary([], { startedAt: '2026-04-01T00:00:00.000Z', scope: 'partial' })
    const runs = [newestPartial, newFull, partialWithStorage, oldFull]
    expect(latestRuns(runs)).toEqual({ cpuRun: newFull, storageRun: partialWithStorage })
  })
})
