import { formatDateTime } from '@ebox/contract'
import { DEMO, type DemoDataSet, type DemoMessage } from '@ebox/demo-data'

/**
 * What the list must answer for the demo data set, computed in memory from the set itself (the brief's rules,
 * written once more without SQL): the oracle the HTTP tests compare against.
 */

export const recipientIdOf = (m: DemoMessage) =>
  m.recipient.eboxType === 'enterprise' ? m.recipient.enterpriseNumber : m.recipient.ssin

/** Newest first; the seed inserts ties by message id, so publication order = message id descending. */
export function listOrder(messages: DemoMessage[]): string[] {
  return [...messages]
    .sort((a, b) => b.publishedAt.getTime() - a.publishedAt.getTime() || (a.messageId < b.messageId ? 1 : -1))
    .map((m) => m.messageId)
}

/** Messages of an e-Box the default list shows (not expired), in list order. */
export function listed(set: DemoDataSet, eboxId: string = DEMO.enterprise, at = new Date()): DemoMessage[] {
  const ids = listOrder(set.messages.filter((m) => recipientIdOf(m) === eboxId && m.expiresAt > at))
  const byId = new Map(set.messages.map((m) => [m.messageId, m]))
  return ids.map((id) => byId.get(id)!)
}

/** 00:00 Europe/Brussels of a calendar day `YYYY-MM-DD`. */
export function brusselsDayStart(day: string): Date {
  // The offset at 00:00 UTC of the day equals the offset at local midnight (DST switches happen at 01:00 UTC).
  const offset = formatDateTime(new Date(`${day}T00:00:00Z`)).slice(-6)
  return new Date(`${day}T00:00:00${offset}`)
}

/** The Brussels calendar day of an instant. */
export function brusselsDay(at: Date): string {
  return formatDateTime(at).slice(0, 10)
}
