/** `freeze`: is PRD frozen at an instant. */
import { activeFreeze, frozenUntil } from '../freeze.ts'
import { formatLocal } from '../zoned.ts'
import type { Context } from './context.ts'

export function freeze(ctx: Context): number {
  const calendar = ctx.calendar()
  const at = ctx.now()
  const window = activeFreeze(calendar, at)
  const until = frozenUntil(calendar, at)
  const when = formatLocal(calendar.timeZone, at.getTime())
  ctx.io.stdout(
    window && until
      ? `frozen at ${when}: ${window.name} (${window.reason}) until ${formatLocal(calendar.timeZone, until.getTime())}\n`
      : `not frozen at ${when}\n`,
  )
  ctx.output({ frozen: String(window !== undefined) })
  return 0
}
