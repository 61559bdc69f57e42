import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { activeFreeze, frozenUntil, parseFreezeCalendar } from './freeze.ts'
import type { FreezeCalendar } from './schemas.ts'

const calendar = (
  windows: FreezeCalendar['windows'],
  weekly: FreezeCalendar['weekly'] = [],
): FreezeCalendar => ({
  timeZone: 'Europe/Brussels',
  windows,
  weekly,
})
const oneOff = (start: string, end: string) => calendar([{ name: 'w', start, end, reason: 'r' }])
const frozen = (cal: FreezeCalendar, at: string): boolean => activeFreeze(cal, new Date(at)) !== undefined

describe('one-off freeze windows', () => {
  it('start inclusive and end exclusive, at local midnight in winter', () => {
    const cal = oneOff('2026-12-18T00:00', '2027-01-04T00:00')
    expect(frozen(cal, '2026-12-17T22:59:59.999Z')).toBe(false)
    expect(frozen(cal, '2026-12-17T23:00:00.000Z')).toBe(true)
    expect(frozen(cal, '2027-01-03T22:59:59.999Z')).toBe(true)
    expect(frozen(cal, '2027-01-03T23:00:00.000Z')).toBe(false)
  })

  it('at local midnight in summer (UTC+2)', () => {
    const cal = oneOff('2026-07-01T00:00', '2026-07-02T00:00')
    expect(frozen(cal, '2026-06-30T21:59:59Z')).toBe(false)
    expect(frozen(cal, '2026-06-30T22:00:00Z')).toBe(true)
    expect(frozen(cal, '2026-07-01T21:59:59Z')).toBe(true)
    expect(frozen(cal, '2026-07-01T22:00:00Z')).toBe(false)
  })

  it('spanning the spring-forward night lasts one hour less in real time', () => {
    const cal = oneOff('2026-03-29T01:00', '2026-03-29T04:00')
    expect(frozen(cal, '2026-03-28T23:59:59Z')).toBe(false)
    expect(frozen(cal, '2026-03-29T00:00:00Z')).toBe(true)
    expect(frozen(cal, '2026-03-29T01:59:59Z')).toBe(true)
    expect(frozen(cal, '2026-03-29T02:00:00Z')).toBe(false)
  })

  it('starting inside the spring-forward gap starts after the jump (02:30 reads as 03:30 summer time)', () => {
    const cal = oneOff('2026-03-29T02:30', '2026-03-29T06:00')
    expect(frozen(cal, '2026-03-29T01:29:59Z')).toBe(false)
    expect(frozen(cal, '2026-03-29T01:30:00Z')).toBe(true)
  })

  it('spanning the fall-back night lasts one hour more in real time', () => {
    const cal = oneOff('2026-10-25T01:00', '2026-10-25T04:00')
    expect(frozen(cal, '2026-10-24T22:59:59Z')).toBe(false)
    expect(frozen(cal, '2026-10-24T23:00:00Z')).toBe(true)
    expect(frozen(cal, '2026-10-25T02:59:59Z')).toBe(true)
    expect(frozen(cal, '2026-10-25T03:00:00Z')).toBe(false)
  })

  it('ending at a repeated time covers both passes of the clock', () => {
    const cal = oneOff('2026-10-24T20:00', '2026-10-25T02:30')
    // 02:15 on the second pass (winter time) is still frozen; the window ends at the second 02:30.
    expect(frozen(cal, '2026-10-25T01:15:00Z')).toBe(true)
    expect(frozen(cal, '2026-10-25T01:30:00Z')).toBe(false)
  })

  it('starting at a repeated time starts on the first pass', () => {
    const cal = oneOff('2026-10-25T02:30', '2026-10-25T08:00')
    expect(frozen(cal, '2026-10-25T00:29:59Z')).toBe(false)
    expect(frozen(cal, '2026-10-25T00:30:00Z')).toBe(true)
  })

  it('reports the window, with its instants', () => {
    const active = activeFreeze(
      oneOff('2026-12-18T17:00', '2027-01-04T08:00'),
      new Date('2026-12-24T12:00:00Z'),
    )
    expect(active).toEqual({
      name: 'w',
      reason: 'r',
      start: new Date('2026-12-18T16:00:00Z'),
      end: new Date('2027-01-04T07:00:00Z'),
    })
  })
})

describe('weekly freeze windows', () => {
  const weekend = calendar(
    [],
    [
      {
        name: 'Weekend',
        from: { day: 'friday', time: '16:00' },
        to: { day: 'monday', time: '08:00' },
        reason: 'r',
      },
    ],
  )

  it('cover Friday 16:00 to Monday 08:00 local time across the spring-forward weekend', () => {
    // Friday 27 March is winter time (UTC+1); Monday 30 March is summer time (UTC+2).
    expect(frozen(weekend, '2026-03-27T14:59:59Z')).toBe(false)
    expect(frozen(weekend, '2026-03-27T15:00:00Z')).toBe(true)
    expect(frozen(weekend, '2026-03-30T05:59:59Z')).toBe(true)
    expect(frozen(weekend, '2026-03-30T06:00:00Z')).toBe(false)
  })

  it('across the fall-back weekend', () => {
    // Friday 23 October is summer time; Monday 26 October is winter time.
    expect(frozen(weekend, '2026-10-23T13:59:59Z')).toBe(false)
    expect(frozen(weekend, '2026-10-23T14:00:00Z')).toBe(true)
    expect(frozen(weekend, '2026-10-26T06:59:59Z')).toBe(true)
    expect(frozen(weekend, '2026-10-26T07:00:00Z')).toBe(false)
  })

  it('do not cover the middle of the week', () => {
    expect(frozen(weekend, '2026-03-25T12:00:00Z')).toBe(false)
  })

  it('may sit within one day, ending at local midnight', () => {
    const evening = calendar(
      [],
      [
        {
          name: 'Batch',
          from: { day: 'wednesday', time: '20:00' },
          to: { day: 'thursday', time: '00:00' },
          reason: 'r',
        },
      ],
    )
    expect(frozen(evening, '2026-06-10T17:59:59Z')).toBe(false)
    expect(frozen(evening, '2026-06-10T18:00:00Z')).toBe(true)
    expect(frozen(evening, '2026-06-10T21:59:59Z')).toBe(true)
    expect(frozen(evening, '2026-06-10T22:00:00Z')).toBe(false)
    expect(frozen(evening, '2026-06-11T18:30:00Z')).toBe(false)
  })

  it('thaw at the end of back-to-back windows, not at the end of the first', () => {
    const cal = {
      ...weekend,
      windows: [{ name: 'Year end', start: '2026-12-18T17:00', end: '2027-01-04T08:00', reason: 'r' }],
    }
    // Friday 18 December 16:30: the weekend window is open and the year-end one starts within it.
    expect(frozenUntil(cal, new Date('2026-12-18T15:30:00Z'))).toEqual(new Date('2027-01-04T07:00:00Z'))
    expect(frozenUntil(cal, new Date('2026-12-16T12:00:00Z'))).toBeUndefined()
  })
})

describe('the calendar file', () => {
  it('in the repository is valid', () => {
    const text = readFileSync(new URL('../../../release/freeze-calendar.yaml', import.meta.url), 'utf8')
    expect(parseFreezeCalendar(text).timeZone).toBe('Europe/Brussels')
  })

  it('refuses a window that ends before it starts, another time zone, or unknown fields', () => {
    const base = 'timeZone: Europe/Brussels\nweekly: []\nwindows:\n'
    expect(() =>
      parseFreezeCalendar(
        `${base}  - { name: x, start: "2026-12-02T00:00", end: "2026-12-01T00:00", reason: r }`,
      ),
    ).toThrow(/ends before it starts/)
    expect(() => parseFreezeCalendar('timeZone: UTC\nwindows: []\nweekly: []')).toThrow(
      /freeze calendar is not valid/,
    )
    expect(() =>
      parseFreezeCalendar(
        `${base}  - { name: x, start: "2026-12-01T00:00", end: "2026-12-02T00:00", reason: r, tz: UTC }`,
      ),
    ).toThrow(/not valid/)
  })
})
