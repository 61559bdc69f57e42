import { describe, expect, it } from 'vitest'
import { flatness, type SoakWindow } from '../src/soak.ts'

const MiB = 1048576

/** Twelve windows of a steady registry, each figure changed by `change(index, window)`. */
function run(change: (index: number, window: SoakWindow) => Partial<SoakWindow> = () => ({})): SoakWindow[] {
  return Array.from({ length: 12 }, (_, index) => {
    const window: SoakWindow = {
      atSeconds: (index + 1) * 150,
      rssBytes: (180 + (index % 3)) * MiB,
      eventLoopP99Ms: 40 + (index % 2) * 10,
      databaseConnections: 12 + (index % 3),
      handles: 17,
      p50Ms: 30,
      p99Ms: 300 + (index % 4) * 40,
    }
    return { ...window, ...change(index, window) }
  })
}

const failing = (windows: SoakWindow[]) =>
  flatness(windows)
    .filter((check) => !check.held)
    .map((check) => check.name)

describe('the soak verdict compares the first and last parts of the run', () => {
  it('steady figures with noise, a slow first window and one slow window later: flat', () => {
    const windows = run((index) =>
      index === 0 ? { rssBytes: 120 * MiB, p99Ms: 900 } : index === 9 ? { p99Ms: 1_500 } : {},
    )
    expect(failing(windows)).toEqual([])
  })

  it('memory growing by 8 MiB a window: not flat', () => {
    expect(failing(run((index, w) => ({ rssBytes: w.rssBytes + index * 8 * MiB })))).toEqual(['RSS flat'])
  })

  it('sockets or timers piling up: not flat', () => {
    expect(failing(run((index) => ({ handles: 17 + index * 3 })))).toEqual(['open handles flat'])
  })

  it('latency and event-loop delay climbing: not flat', () => {
    expect(
      failing(run((index, w) => ({ p99Ms: w.p99Ms * (1 + index / 3), eventLoopP99Ms: 40 + index * 20 }))),
    ).toEqual(['event-loop delay p99 flat', 'latency p99 flat'])
  })

  it('more database connections than the pools allow: not held', () => {
    expect(failing(run((index) => (index === 6 ? { databaseConnections: 19 } : {})))).toEqual([
      'database connections bounded by the pools',
    ])
  })
})
