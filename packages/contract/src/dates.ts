import { CONTRACT } from './decisions.ts'

const offsetFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: CONTRACT.filterTimeZone,
  timeZoneName: 'longOffset',
})

/**
 * A date-time as the contract writes it (§6): ISO 8601 in Europe/Brussels with its offset, whole seconds, no
 * milliseconds — `2023-04-29T10:25:53+02:00`. Milliseconds are dropped (truncated), never rounded up.
 */
export function formatDateTime(date: Date): string {
  const zone = offsetFormat.formatToParts(date).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT'
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(zone)
  const sign = match?.[1] ?? '+'
  const hours = match?.[2] ?? '00'
  const minutes = match?.[3] ?? '00'
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes))
  const seconds = Math.floor(date.getTime() / 1000) * 1000
  const local = new Date(seconds + offsetMinutes * 60_000).toISOString().slice(0, 19)
  return `${local}${sign}${hours}:${minutes}`
}
