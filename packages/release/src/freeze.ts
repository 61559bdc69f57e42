/** Freeze windows: is PRD frozen at a given instant, and until when. Windows are written in Brussels time. */
import { parse } from 'yaml'
import { FreezeCalendar, ReleaseError, validate, WEEKDAYS } from './schemas.ts'
import { addDays, localAt, parseLocal, toInstant } from './zoned.ts'

export interface ActiveFreeze {
  name: string
  reason: string
  /** Instants (UTC) of the occurrence that covers the evaluated instant. */
  start: Date
  end: Date
}

export function parseFreezeCalendar(text: string): FreezeCalendar {
  const calendar = validate(FreezeCalendar, parse(text), 'the freeze calendar')
  for (const window of calendar.windows) {
    const start = toInstant(calendar.timeZone, parseLocal(window.start), 'start')
    const end = toInstant(calendar.timeZone, parseLocal(window.end), 'end')
    if (end <= start)
      throw new ReleaseError('INVALID_RECORD', `freeze window "${window.name}" ends before it starts`)
  }
  return calendar
}

/** The freeze window covering `now`, if any (the one that ends last when several overlap). */
export function activeFreeze(calendar: FreezeCalendar, now: Date): ActiveFreeze | undefined {
  const zone = calendar.timeZone
  const at = now.getTime()
  const covering: ActiveFreeze[] = []

  for (const window of calendar.windows) {
    const start = toInstant(zone, parseLocal(window.start), 'start')
    const end = toInstant(zone, parseLocal(window.end), 'end')
    if (start <= at && at < end)
      covering.push({ name: window.name, reason: window.reason, start: new Date(start), end: new Date(end) })
  }

  // A weekly window that covers `now` started within the last 7 local days: try each of those dates.
  const today = { ...localAt(zone, at), hour: 0, minute: 0 }
  for (const window of calendar.weekly) {
    const fromDay = WEEKDAYS.indexOf(window.from.day)
    const toDay = WEEKDAYS.indexOf(window.to.day)
    const sameDaySpan = window.to.time > window.from.time ? 0 : 7
    const span = (toDay - fromDay + 7) % 7 || sameDaySpan
    for (let back = 0; back <= 7; back++) {
      const date = addDays(today, -back)
      if ((today.weekday - back + 14) % 7 !== fromDay) continue
      const start = toInstant(zone, withTime(date, window.from.time), 'start')
      const end = toInstant(zone, withTime(addDays(date, span), window.to.time), 'end')
      if (start <= at && at < end)
        covering.push({
          name: window.name,
          reason: window.reason,
          start: new Date(start),
          end: new Date(end),
        })
    }
  }

  return covering.sort((a, b) => b.end.getTime() - a.end.getTime())[0]
}

function withTime<T extends { hour: number; minute: number }>(date: T, time: string): T {
  const [hour, minute] = time.split(':').map(Number) as [number, number]
  return { ...date, hour, minute }
}

/** When PRD thaws: the end of the covering window, followed through windows that start as another ends. */
export function frozenUntil(calendar: FreezeCalendar, now: Date): Date | undefined {
  let until: Date | undefined
  let next = activeFreeze(calendar, now)
  for (let hops = 0; next && hops < 100; hops++) {
    until = next.end
    next = activeFreeze(calendar, next.end)
  }
  return until
}
