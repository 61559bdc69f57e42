import { describe, expect, it } from 'vitest'
import { formatLocal, instantsOf, offsetAt, parseLocal, toInstant } from './zoned.ts'

const ZONE = 'Europe/Brussels'
const iso = (ms: number): string => new Date(ms).toISOString()

describe('Brussels wall-clock time', () => {
  it('is one hour ahead of UTC in winter and two in summer', () => {
    expect(offsetAt(ZONE, Date.parse('2026-01-15T12:00:00Z'))).toBe(3_600_000)
    expect(offsetAt(ZONE, Date.parse('2026-07-15T12:00:00Z'))).toBe(7_200_000)
  })

  it('switches to summer time at 01:00 UTC on the last Sunday of March', () => {
    expect(offsetAt(ZONE, Date.parse('2026-03-29T00:59:59Z'))).toBe(3_600_000)
    expect(offsetAt(ZONE, Date.parse('2026-03-29T01:00:00Z'))).toBe(7_200_000)
  })

  it('finds no instant for a time inside the spring-forward gap, and reads it after the jump', () => {
    const local = parseLocal('2026-03-29T02:30')
    expect(instantsOf(ZONE, local)).toEqual([])
    expect(iso(toInstant(ZONE, local, 'start'))).toBe('2026-03-29T01:30:00.000Z')
    expect(formatLocal(ZONE, toInstant(ZONE, local, 'end'))).toBe('2026-03-29 03:30 (+02:00)')
  })

  it('finds two instants for a time the fall-back night repeats, and widens windows with them', () => {
    const local = parseLocal('2026-10-25T02:30')
    expect(instantsOf(ZONE, local).map(iso)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z'])
    expect(iso(toInstant(ZONE, local, 'start'))).toBe('2026-10-25T00:30:00.000Z')
    expect(iso(toInstant(ZONE, local, 'end'))).toBe('2026-10-25T01:30:00.000Z')
  })

  it('converts local midnight in winter and in summer', () => {
    expect(iso(toInstant(ZONE, parseLocal('2027-01-04T00:00'), 'end'))).toBe('2027-01-03T23:00:00.000Z')
    expect(iso(toInstant(ZONE, parseLocal('2026-07-01T00:00'), 'start'))).toBe('2026-06-30T22:00:00.000Z')
  })

  it('refuses local date-times that are not real', () => {
    expect(() => parseLocal('2026-02-30T10:00')).toThrow(/not a valid date-time/)
    expect(() => parseLocal('2026-02-10T24:00')).toThrow(/not a valid date-time/)
    expect(() => parseLocal('2026-02-10 10:00')).toThrow(/YYYY-MM-DDTHH:mm/)
  })
})
