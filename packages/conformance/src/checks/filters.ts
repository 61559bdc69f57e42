import type { Message } from '@ebox/contract'
import { allMessages, brusselsDate, MESSAGES_PATH, walkMessages } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'
import type { Query } from '../http.ts'

const UNKNOWN = 'conformance-no-such-value'

/**
 * Lists with `query` and checks the answer against `matches`: every listed message matches, and (when the
 * unfiltered list was read entirely) the filtered list is exactly the matching messages of the unfiltered one.
 */
async function expectFiltered(
  ctx: CheckContext,
  query: Query,
  matches: (message: Message) => boolean,
  describe: string,
  /** false when the filter may list messages the default list leaves out (expired ones). */
  exact = true,
): Promise<Message[]> {
  const all = await allMessages(ctx)
  const filtered = await walkMessages(ctx, 'consultation', query)
  const label = new URLSearchParams(query as Record<string, string>).toString()
  filtered.items.forEach((message, index) => {
    if (!matches(message)) {
      ctx.fail(
        `${label}: message ${message.messageId} is listed but ${describe}`,
        filtered.pages[Math.floor(index / 100)],
        {
          pointer: `/items/${index % 100}`,
        },
      )
    }
  })
  if (all.complete && filtered.complete) {
    const expected = all.items.filter(matches).map((message) => message.messageId)
    const got = new Set(filtered.items.map((message) => message.messageId))
    const missing = expected.filter((id) => !got.has(id))
    ctx.assert(
      missing.length === 0,
      `${label}: ${missing.length} matching message(s) of the unfiltered list are not listed: ${missing.slice(0, 5).join(', ')}`,
      filtered.pages[0],
    )
    ctx.assert(
      !exact || filtered.totalItems === expected.length,
      `${label}: totalItems is ${filtered.totalItems}, ${expected.length} messages of the unfiltered list match`,
      filtered.pages[0],
      { pointer: '/totalItems' },
    )
  }
  return filtered.items
}

/** A filter whose value nobody has must give an empty list (so an ignored filter cannot pass unnoticed). */
async function expectNoMatch(ctx: CheckContext, query: Query): Promise<void> {
  const walk = await walkMessages(ctx, 'consultation', query, { limit: 100 })
  const label = new URLSearchParams(query as Record<string, string>).toString()
  ctx.assert(
    walk.totalItems === 0 && walk.items.length === 0,
    `${label} matches nothing yet the list is not empty`,
    walk.pages[0],
    {
      pointer: '/totalItems',
    },
  )
}

/** The most common and least common value of a property among the listed messages. */
async function valuesOf(
  ctx: CheckContext,
  pick: (message: Message) => string | undefined,
): Promise<string[]> {
  const { items } = await allMessages(ctx)
  const counts = new Map<string, number>()
  for (const message of items) {
    const value = pick(message)
    if (value !== undefined) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  const sorted = [...counts.entries()].sort((a, b) => a[1] - b[1]).map(([value]) => value)
  return [...new Set([sorted[0], sorted.at(-1)].filter((value): value is string => value !== undefined))]
}

function booleanFilter(
  id: string,
  parameter: string,
  property: 'readStatus' | 'visible' | 'isRegisteredMail',
  rule: string,
) {
  return defineCheck({
    id,
    title: `${parameter}=true and ${parameter}=false list exactly the messages with ${property} true and false`,
    rule,
    async run(ctx: CheckContext) {
      const all = await allMessages(ctx)
      if (all.totalItems === 0) ctx.skip('the e-Box has no message')
      for (const value of [true, false]) {
        await expectFiltered(
          ctx,
          { [parameter]: value },
          (message) => message[property] === value,
          `its ${property} is not ${value}`,
        )
      }
    },
  })
}

function equalityFilter(
  id: string,
  parameter: 'messageTypeId' | 'senderOrganizationId' | 'senderApplicationId' | 'partitionId',
  rule: string,
) {
  return defineCheck({
    id,
    title: `${parameter}=X lists exactly the messages of X; an unknown ${parameter} lists nothing`,
    rule,
    async run(ctx: CheckContext) {
      const values = await valuesOf(ctx, (message) => message[parameter])
      for (const value of values) {
        await expectFiltered(
          ctx,
          { [parameter]: value },
          (message) => message[parameter] === value,
          `its ${parameter} is not ${value}`,
        )
      }
      const unknown = parameter === 'senderOrganizationId' ? '0000000097' : UNKNOWN
      await expectNoMatch(ctx, { [parameter]: unknown })
      if (values.length === 0)
        ctx.skip(`no listed message has a ${parameter}: only the unknown value was checked`)
    },
  })
}

/** A date filter pair: After=D keeps dates on or after D, Before=D dates before D (calendar days, Brussels). */
function dateFilter(
  id: string,
  prefix: 'received' | 'expired',
  property: 'receiptDate' | 'expirationDate',
  rule: string,
) {
  return defineCheck({
    id,
    title: `${prefix}After=D keeps ${property} on or after D, ${prefix}Before=D before D (Europe/Brussels days)`,
    rule,
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      if (items.length === 0) ctx.skip('the e-Box has no message')
      const days = [...new Set(items.map((message) => brusselsDate(message[property])))].sort()
      // A day in the middle splits the list; the pivot message falls on that very day (bound inclusivity).
      const day = days[Math.floor(days.length / 2)]!
      const pivot = items.find((message) => brusselsDate(message[property]) === day)!
      const after = await expectFiltered(
        ctx,
        { [`${prefix}After`]: day },
        (message) => brusselsDate(message[property]) >= day,
        `its ${property} is before ${day} (Europe/Brussels)`,
        prefix === 'received',
      )
      const before = await expectFiltered(
        ctx,
        { [`${prefix}Before`]: day },
        (message) => brusselsDate(message[property]) < day,
        `its ${property} is not before ${day} (Europe/Brussels)`,
        prefix === 'received',
      )
      ctx.assert(
        after.some((message) => message.messageId === pivot.messageId) ||
          after.length >= ctx.limits.maxMessages,
        `${prefix}After=${day} does not list message ${pivot.messageId} whose ${property} is ${pivot[property]} (on that day)`,
      )
      ctx.assert(
        !before.some((message) => message.messageId === pivot.messageId),
        `${prefix}Before=${day} lists message ${pivot.messageId} whose ${property} is ${pivot[property]} (on that day)`,
      )
    },
  })
}

export const filterChecks = [
  booleanFilter('filter.read-status', 'readStatus', 'readStatus', '§5.1 (readStatus filter: read / unread)'),
  booleanFilter(
    'filter.visible',
    'visible',
    'visible',
    '§5.1 (visible filter: hidden / shown); CONTRACT.hideInvisibleByDefault',
  ),
  booleanFilter(
    'filter.registered-mail',
    'registeredMail',
    'isRegisteredMail',
    '§5.1 (registeredMail filter: registered messages only / excluded); §7.11',
  ),
  equalityFilter('filter.message-type', 'messageTypeId', '§5.1 (messageTypeId: exact match)'),
  equalityFilter(
    'filter.sender-organization',
    'senderOrganizationId',
    '§5.1 (senderOrganizationId: exact match)',
  ),
  equalityFilter(
    'filter.sender-application',
    'senderApplicationId',
    '§5.1 (senderApplicationId: exact match)',
  ),
  equalityFilter(
    'filter.partition',
    'partitionId',
    '§5.1 (v3 partition filter); contract decision "partitionId"',
  ),
  dateFilter(
    'filter.received-dates',
    'received',
    'receiptDate',
    '§5.1 (receivedAfter/receivedBefore); CONTRACT.filterTimeZone (After = on or after D, Before = before D)',
  ),
  dateFilter(
    'filter.expiration-dates',
    'expired',
    'expirationDate',
    '§5.1 (expiredAfter/expiredBefore); CONTRACT.filterTimeZone (After = on or after D, Before = before D)',
  ),
  defineCheck({
    id: 'filter.combined',
    title: 'Criteria combine with AND',
    rule: '§5.1 (all criteria are combined with AND)',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const sample = items[0]
      if (!sample) ctx.skip('the e-Box has no message')
      await expectFiltered(
        ctx,
        { messageTypeId: sample.messageTypeId, readStatus: !sample.readStatus },
        (message) =>
          message.messageTypeId === sample.messageTypeId && message.readStatus === !sample.readStatus,
        `it does not match both messageTypeId=${sample.messageTypeId} and readStatus=${!sample.readStatus}`,
      )
      await expectNoMatch(ctx, { messageTypeId: sample.messageTypeId, senderApplicationId: UNKNOWN })
    },
  }),
  defineCheck({
    id: 'filter.invalid-values',
    title: 'Syntactically wrong criteria (bad date, non-boolean) answer 400 with a StatusMessage',
    rule: '§5.1 (400 only for syntactically wrong criteria)',
    async run(ctx: CheckContext) {
      for (const query of [
        { receivedAfter: '2024-13-45' },
        { receivedBefore: 'yesterday' },
        { expiredAfter: '05/03/2060' },
        { readStatus: 'maybe' },
        { visible: 'sometimes' },
        { registeredMail: '2' },
      ]) {
        ctx.expectStatusMessage(
          await ctx.get('consultation', MESSAGES_PATH, query),
          400,
          `the criterion ${JSON.stringify(query)}`,
        )
      }
    },
  }),
]
