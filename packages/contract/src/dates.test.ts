import { describe, expect, it } from 'vitest'
import { formatDateTime } from './dates.ts'

describe('formatDateTime', () => {
  it('writes Brussels summer time with +02:00 and no milliseconds', () => {
    expect(formatDateTime(new Date('2023-04-29T08:25:53.723Z'))).toBe('2023-04-29T10:25:53+02:00')
  })

  it('writes Brussels winter time with +01:00', () => {
    expect(formatDateTime(new Date('2024-01-15T23:30:00.999Z'))).toBe('2024-01-16T00:30:00+01:00')
  })

  it('follows the DST switch', () => {
    expect(formatDateTime(new Date('2024-03-31T00:59:59Z'))).toBe('2024-03-31T01:59:59+01:00')
    expect(formatDateTime(new Date('2024-03-31T01:00:00Z'))).toBe('2024-03-31T03:00:00+02:00')
  })

  it('names the same instant as the input, to the second', () => {
    const date = new Date('2025-10-26T01:30:00.500Z')
    expect(new Date(formatDateTime(date)).getTime()).toBe(date.getTime() - 500)
  })

  it('agrees with Intl for instants around every DST switch of four years (the offset is cached per UTC hour)', () => {
    const zone = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Brussels', timeZoneName: 'longOffset' })
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2028, 0, 1); t += 1_799_999) {
      const name = zone.formatToParts(new Date(t)).find((part) => part.type === 'timeZoneName')?.value
      expect(formatDateTime(new Date(t)).slice(19)).toBe(name?.slice(3))
    }
  })

  it('names the instant to the second, for instants spread over four years (the hour is cached)', () => {
    for (let t = Date.UTC(2024, 0, 1) + 999; t < Date.UTC(2028, 0, 1); t += 1_234_567) {
      const text = formatDateTime(new Date(t))
      expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/)
      expect(new Date(text).getTime()).toBe(Math.floor(t / 1000) * 1000)
    }
  })
})
