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
  const offset = offsetAt(date.getTime())
  const seconds = Math.floor(date.getTime() / 1000) * 1000
  const local = new Date(seconds + offset.minutes * 60_000).toISOString().slice(0, 19)
  return `${local}${offset.text}`
}

const HOUR = 3_600_000
/** Brussels offsets by UTC hour: Intl's formatToParts is slow (issue 10), and the offset only changes on a UTC hour. */
const offsets = new Map<number, { minutes: number; text: string }>()

function offsetAt(time: number): { minutes: number; text: string } {
  const hour = Math.floor(time / HOUR)
  let offset = offsets.get(hour)
  if (!offset) {
    const zone = offsetFormat
      .formatToParts(new Date(hour * HOUR))
      .find((part) => part.type === 'timeZoneName')?.value
    const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(zone ?? 'GMT')
    const sign = match?.[1] ?? '+'
    const hours = match?.[2] ?? '00'
    const minutes = match?.[3] ?? '00'
    offset = {
      minutes: (sign === '-' ? -1 : 1) * (Number(hours) * 60 + Number(minutes)),
      text: `${sign}${hours}:${minutes}`,
    }
    if (offsets.size >= 100_000) offsets.clear()
    offsets.set(hour, offset)
  }
  return offset
}
