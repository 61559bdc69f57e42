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
  return formatEpochMillis(date.getTime())
}

/** formatDateTime of an instant given as milliseconds since the epoch (rows read timestamps so: no Date needed). */
export function formatEpochMillis(time: number): string {
  const offset = offsetAt(time)
  const local = Math.floor(time / 1000) * 1000 + offset.minutes * 60_000
  const localHour = Math.floor(local / HOUR)
  const seconds = (local - localHour * HOUR) / 1000
  return `${hourPrefix(localHour)}${twoDigits(Math.floor(seconds / 60))}:${twoDigits(seconds % 60)}${offset.text}`
}

const HOUR = 3_600_000
const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** `YYYY-MM-DDTHH:` of each local hour: a list page formats 50–75 date-times (BENCHMARKS.md, "Per-request cuts"). */
const hourPrefixes = new Map<number, string>()

function hourPrefix(localHour: number): string {
  let prefix = hourPrefixes.get(localHour)
  if (prefix === undefined) {
    const iso = new Date(localHour * HOUR).toISOString()
    prefix = iso.slice(0, iso.length - 10)
    if (hourPrefixes.size >= 100_000) hourPrefixes.clear()
    hourPrefixes.set(localHour, prefix)
  }
  return prefix
}
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
