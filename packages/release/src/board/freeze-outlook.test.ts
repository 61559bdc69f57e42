import { describe, expect, it } from 'vitest'
import type { FreezeCalendar } from '../schemas.ts'
import { freezeOutlook } from './freeze-outlook.ts'

const WEEKEND: FreezeCalendar['weekly'][number] = {
  name: 'Weekend',
  from: { day: 'friday', time: '16:00' },
  to: { day: 'monday', time: '08:00' },
  reason: 'r',
}
const calendar = (
  windows: FreezeCalendar['windows'],
  weekly: FreezeCalendar['weekly'] = [],
): FreezeCalendar => ({ timeZone: 'Europe/Brussels', windows, weekly })

const spans = (windows: { name: string; start: Date; end: Date }[]): string[] =>
  windows.map((window) => `${window.name} ${window.start.toISOString()} ${window.end.toISOString()}`)

describe('the freeze outlook', () => {
  it('gives the window in force and the weekly ones ahead, each edge at its own UTC offset', () => {
    // Friday 26 March 2027, 17:30 in Brussels (UTC+1); clocks go forward on Sunday 28 March.
    const outlook = freezeOutlook(calendar([], [WEEKEND]), new Date('2027-03-26T16:30:00Z'), 14)
    expect(spans(outlook.inForce ? [outlook.inForce] : [])).toEqual([
      'Weekend 2027-03-26T15:00:00.000Z 2027-03-29T06:00:00.000Z',
    ])
    expect(spans(outlook.upcoming)).toEqual([
      'Weekend 2027-04-02T14:00:00.000Z 2027-04-05T06:00:00.000Z',
      'Weekend 2027-04-09T14:00:00.000Z 2027-04-12T06:00:00.000Z',
    ])
  })

  it('lists a one-off window ahead once, in order with the weekly ones, and nothing past the horizon', () => {
    const cal = calendar(
      [
        { name: 'Maintenance', start: '2027-04-01T06:00', end: '2027-04-01T10:00', reason: 'r' },
        { name: 'Far away', start: '2027-06-01T06:00', end: '2027-06-01T10:00', reason: 'r' },
        { name: 'Past', start: '2027-03-01T06:00', end: '2027-03-01T10:00', reason: 'r' },
      ],
      [WEEKEND],
    )
    const outlook = freezeOutlook(cal, new Date('2027-03-29T10:00:00Z'), 7)
    expect(outlook.inForce).toBeUndefined()
    expect(spans(outlook.upcoming)).toEqual([
      'Maintenance 2027-04-01T04:00:00.000Z 2027-04-01T08:00:00.000Z',
      'Weekend 2027-04-02T14:00:00.000Z 2027-04-05T06:00:00.000Z',
    ])
  })

  it('reads a weekly start inside the spring-forward gap as the same time after the jump', () => {
    const night: FreezeCalendar['weekly'][number] = {
      name: 'Sunday night',
      from: { day: 'sunday', time: '02:30' },
      to: { day: 'sunday', time: '05:00' },
      reason: 'r',
    }
    const outlook = freezeOutlook(calendar([], [night]), new Date('2027-03-27T12:00:00Z'), 2)
    // 02:30 does not exist on 28 March 2027: it is 03:30 summer time, 01:30 UTC.
    expect(spans(outlook.upcoming)).toEqual([
      'Sunday night 2027-03-28T01:30:00.000Z 2027-03-28T03:00:00.000Z',
    ])
  })

  it('does not list the window in force again as upcoming', () => {
    const cal = calendar([{ name: 'Long', start: '2027-03-20T00:00', end: '2027-04-20T00:00', reason: 'r' }])
    const outlook = freezeOutlook(cal, new Date('2027-03-26T12:00:00Z'), 14)
    expect(outlook.inForce?.name).toBe('Long')
    expect(outlook.upcoming).toEqual([])
  })
})
