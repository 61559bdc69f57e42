/**
 * The freeze windows a release manager should know about: the one in force and those that start soon. Start
 * instants come from the calendar's own local times (zoned.ts); what covers each start, and until when, is
 * asked of freeze.ts, so the board and the promotion check can never disagree about a window.
 */
import { type ActiveFreeze, activeFreeze } from '../freeze.ts'
import { type FreezeCalendar, WEEKDAYS } from '../schemas.ts'
import { addDays, localAt, parseLocal, toInstant } from '../zoned.ts'

export interface FreezeOutlook {
  /** The window covering `now`, if any, and when PRD thaws (later than its end when windows touch). */
  inForce?: ActiveFreeze
  /** Windows that start after `now` and within the horizon, in order. */
  upcoming: ActiveFreeze[]
}

function startsWithin(calendar: FreezeCalendar, from: number, to: number): number[] {
  const zone = calendar.timeZone
  const starts: number[] = []
  for (const window of calendar.windows) starts.push(toInstant(zone, parseLocal(window.start), 'start'))
  const today = { ...localAt(zone, from), hour: 0, minute: 0 }
  const days = Math.ceil((to - from) / 86_400_000) + 1
  for (const window of calendar.weekly) {
    const [hour, minute] = window.from.time.split(':').map(Number) as [number, number]
    for (let ahead = 0; ahead <= days; ahead++) {
      if ((today.weekday + ahead) % 7 !== WEEKDAYS.indexOf(window.from.day)) continue
      starts.push(toInstant(zone, { ...addDays(today, ahead), hour, minute }, 'start'))
    }
  }
  return starts.filter((start) => start > from && start <= to).sort((a, b) => a - b)
}

export function freezeOutlook(calendar: FreezeCalendar, now: Date, horizonDays: number): FreezeOutlook {
  const inForce = activeFreeze(calendar, now)
  const upcoming: ActiveFreeze[] = []
  for (const start of startsWithin(calendar, now.getTime(), now.getTime() + horizonDays * 86_400_000)) {
    const window = activeFreeze(calendar, new Date(start))
    if (!window) continue
    const seen = [inForce, ...upcoming].some(
      (known) => known?.name === window.name && known.start.getTime() === window.start.getTime(),
    )
    if (!seen) upcoming.push(window)
  }
  return { inForce, upcoming }
}
