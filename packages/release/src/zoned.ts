/**
 * Wall-clock time in an IANA time zone, with Intl only. The one subtle part is turning a local time into an
 * instant: on the night clocks go forward some local times do not exist, and on the night they go back some
 * exist twice. Callers say which edge of a window they convert so that ambiguity always widens the window.
 */

export interface LocalDateTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
}

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, format)
  }
  return format
}

/** Milliseconds the zone's wall clock is ahead of UTC at `epochMs`. */
export function offsetAt(zone: string, epochMs: number): number {
  const parts = formatter(zone).formatToParts(new Date(epochMs))
  const part = (type: Intl.DateTimeFormatPartTypes): number =>
    Number(parts.find((candidate) => candidate.type === type)?.value)
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour') % 24,
    part('minute'),
    part('second'),
  )
  return wall - Math.floor(epochMs / 1000) * 1000
}

/** The zone's wall-clock reading at `epochMs`. */
export function localAt(zone: string, epochMs: number): LocalDateTime & { weekday: number } {
  const wall = new Date(epochMs + offsetAt(zone, epochMs))
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    weekday: wall.getUTCDay(),
  }
}

function wallMs(local: LocalDateTime): number {
  return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute)
}

/** Every instant at which the wall clock reads `local`: none in a spring-forward gap, two in a fall-back overlap. */
export function instantsOf(zone: string, local: LocalDateTime): number[] {
  const wall = wallMs(local)
  // Transitions are months apart, so the offsets a day before and after are the only candidates.
  const offsets = new Set([offsetAt(zone, wall - DAY), offsetAt(zone, wall + DAY)])
  return [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => instant + offsetAt(zone, instant) === wall)
    .sort((a, b) => a - b)
}

/**
 * The instant a window edge given in local time stands for. An ambiguous time (it happens twice) resolves to
 * the earlier instant for a start and the later for an end, so the window covers both readings. A time that
 * does not exist is read with the offset in force before the jump (as RFC 5545 does): 02:30 on the
 * spring-forward night is 03:30 summer time.
 */
export function toInstant(zone: string, local: LocalDateTime, edge: 'start' | 'end'): number {
  const found = instantsOf(zone, local)
  const first = found[0]
  const last = found[found.length - 1]
  if (first === undefined || last === undefined) return wallMs(local) - offsetAt(zone, wallMs(local) - DAY)
  return edge === 'start' ? first : last
}

/** Parses `YYYY-MM-DDTHH:mm` (a local date-time without zone) and checks that the calendar date is real. */
export function parseLocal(text: string): LocalDateTime {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(text)
  if (!match) throw new Error(`not a local date-time (YYYY-MM-DDTHH:mm): ${text}`)
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute))
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59)
    throw new Error(`not a valid date-time: ${text}`)
  return { year, month, day, hour, minute }
}

/** The local date `days` after the given one (calendar arithmetic, no time zone involved). */
export function addDays(local: LocalDateTime, days: number): LocalDateTime {
  const moved = new Date(wallMs(local) + days * DAY)
  return {
    ...local,
    year: moved.getUTCFullYear(),
    month: moved.getUTCMonth() + 1,
    day: moved.getUTCDate(),
  }
}

/** An instant as the zone's wall clock shows it, with its UTC offset: `2026-03-29 03:30 (+02:00)`. */
export function formatLocal(zone: string, epochMs: number): string {
  const local = localAt(zone, epochMs)
  const offset = offsetAt(zone, epochMs) / MINUTE
  const pad = (value: number): string => String(value).padStart(2, '0')
  const sign = offset < 0 ? '-' : '+'
  const hours = pad(Math.floor(Math.abs(offset) / 60))
  return `${local.year}-${pad(local.month)}-${pad(local.day)} ${pad(local.hour)}:${pad(local.minute)} (${sign}${hours}:${pad(Math.abs(offset) % 60)})`
}
