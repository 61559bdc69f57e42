import { CONTRACT, Messages } from '@ebox/contract'
import { allMessages, expectListPage, MESSAGES_PATH, walkMessages } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'

const { defaultPageSize, maxPageSize } = CONTRACT.paging

export const listChecks = [
  defineCheck({
    id: 'list.shape',
    title: 'GET /ebox/messages answers { items, totalItems } with messages as the contract defines them',
    rule: '§5.1 (response always { items, totalItems }, items never null); §7.1; §6.3',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      for (const page of walk.pages) ctx.expectJson(page, Messages, 'the messages list')
      ctx.assert(
        walk.items.length <= walk.totalItems,
        `totalItems is ${walk.totalItems} but ${walk.items.length} messages were listed`,
        walk.pages.at(-1),
        { pointer: '/totalItems' },
      )
    },
  }),
  defineCheck({
    id: 'list.empty-result',
    title: 'Criteria nothing matches answer 200 with items: [] and totalItems: 0',
    rule: '§5.1 (no match → 200 with an empty list, even for receivedAfter=2060-03-05); §7.6',
    async run(ctx: CheckContext) {
      const exchange = await ctx.get('consultation', MESSAGES_PATH, { receivedAfter: '2060-03-05' })
      const body = expectListPage(ctx, exchange, 'the list received after 2060-03-05')
      ctx.assert(
        body.items.length === 0 && body.totalItems === 0,
        'expected items: [] and totalItems: 0',
        exchange,
      )
    },
  }),
  defineCheck({
    id: 'list.default-page-size',
    title: `Without paging parameters the list answers the first ${defaultPageSize} messages`,
    rule: '§5.1 (page default 1, pageSize default 25); CONTRACT.paging',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      const exchange = await ctx.get('consultation', MESSAGES_PATH)
      const body = expectListPage(ctx, exchange, 'the list without paging parameters', 'messageId')
      const expected = Math.min(defaultPageSize, walk.totalItems)
      ctx.assert(
        body.items.length === expected,
        `${body.items.length} messages on the default page; expected ${expected} (totalItems ${walk.totalItems})`,
        exchange,
        { pointer: '/totalItems' },
      )
      const ids = body.items.map((item) => (item as { messageId: string }).messageId)
      const firstIds = walk.items.slice(0, expected).map((message) => message.messageId)
      ctx.assert(
        ids.every((id, index) => id === firstIds[index]),
        'the default page is not the first page of the list',
        exchange,
        { note: `expected the ids ${firstIds.join(', ')}` },
      )
    },
  }),
  defineCheck({
    id: 'list.max-page-size',
    title: `pageSize=${maxPageSize} is served; pageSize=${maxPageSize + 1} answers 400 with a StatusMessage`,
    rule: '§5.1 (pageSize max 100; out-of-range pageSize → 400); CONTRACT.paging',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      const exchange = await ctx.get('consultation', MESSAGES_PATH, { pageSize: maxPageSize })
      const body = expectListPage(ctx, exchange, `the list with pageSize=${maxPageSize}`)
      const expected = Math.min(maxPageSize, walk.totalItems)
      ctx.assert(
        body.items.length === expected,
        `${body.items.length} messages with pageSize=${maxPageSize}, expected ${expected}`,
        exchange,
        {
          pointer: '/totalItems',
        },
      )
      ctx.expectStatusMessage(
        await ctx.get('consultation', MESSAGES_PATH, { pageSize: maxPageSize + 1 }),
        400,
        `pageSize=${maxPageSize + 1}`,
      )
    },
  }),
  defineCheck({
    id: 'list.paging-bounds',
    title:
      'page and pageSize below 1 or not numbers answer 400; a page past the end answers 200 with items: []',
    rule: '§5.1 (page min 1, pageSize min 1; 400 for out-of-range paging; a page past the end → empty list)',
    async run(ctx: CheckContext) {
      for (const query of [
        { page: 0 },
        { page: -1 },
        { pageSize: 0 },
        { page: 'first' },
        { pageSize: '10.5' },
      ]) {
        ctx.expectStatusMessage(
          await ctx.get('consultation', MESSAGES_PATH, query),
          400,
          `paging ${JSON.stringify(query)}`,
        )
      }
      const walk = await allMessages(ctx)
      const pageSize = 10
      const lastPage = Math.max(1, Math.ceil(walk.totalItems / pageSize))
      const last = await ctx.get('consultation', MESSAGES_PATH, { page: lastPage, pageSize })
      const lastBody = expectListPage(ctx, last, `the last page (${lastPage})`)
      const expectedOnLast = walk.totalItems === 0 ? 0 : walk.totalItems - (lastPage - 1) * pageSize
      ctx.assert(
        lastBody.items.length === expectedOnLast,
        `the last page holds ${lastBody.items.length} messages, expected ${expectedOnLast}`,
        last,
        { pointer: '/totalItems' },
      )
      const past = await ctx.get('consultation', MESSAGES_PATH, { page: lastPage + 1, pageSize })
      const pastBody = expectListPage(ctx, past, `the page past the end (${lastPage + 1})`)
      ctx.assert(pastBody.items.length === 0, 'the page past the end is not empty', past, {
        pointer: '/items',
      })
      ctx.assert(
        pastBody.totalItems === walk.totalItems,
        `the page past the end says totalItems ${pastBody.totalItems}, the first page ${walk.totalItems}`,
        past,
        { pointer: '/totalItems' },
      )
    },
  }),
  defineCheck({
    id: 'list.paging-consistency',
    title:
      'Small pages cover the list exactly once: no message repeated or lost, the same totalItems on every page',
    rule: '§5.1 (totalItems = matches across all pages; items = the requested page)',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      if (walk.totalItems < 2) ctx.skip('fewer than two messages: nothing to page through')
      const pageSize = Math.max(1, Math.min(7, Math.ceil(walk.totalItems / 3)))
      const limit = Math.min(ctx.limits.maxMessages, 140)
      const small = await walkMessages(ctx, 'consultation', {}, { pageSize, limit })
      const seen = new Map<string, number>()
      small.items.forEach((message, index) => {
        const previous = seen.get(message.messageId)
        if (previous !== undefined) {
          const page = small.pages[Math.floor(index / pageSize)]
          ctx.fail(
            `message ${message.messageId} appears twice (positions ${previous} and ${index}) with pageSize=${pageSize}`,
            page,
          )
        }
        seen.set(message.messageId, index)
      })
      for (const page of small.pages) {
        const total = (page.json as { totalItems: number }).totalItems
        ctx.assert(
          total === walk.totalItems,
          `a page says totalItems ${total}, the first page ${walk.totalItems}`,
          page,
          {
            pointer: '/totalItems',
          },
        )
      }
      const expected = walk.items.slice(0, small.items.length).map((message) => message.messageId)
      const missing = expected.filter((id) => !seen.has(id))
      ctx.assert(
        missing.length === 0,
        `with pageSize=${pageSize} the pages miss ${missing.length} message(s) listed with pageSize=100: ${missing.slice(0, 5).join(', ')}`,
        small.pages.at(-1),
      )
      if (small.complete && walk.complete) {
        ctx.assert(
          small.items.length === walk.totalItems,
          `the pages hold ${small.items.length} messages, totalItems is ${walk.totalItems}`,
          small.pages.at(-1),
        )
      }
    },
  }),
  defineCheck({
    id: 'list.ordering',
    title: 'Messages are listed newest first (receiptDate), across pages',
    rule: '§5.1 (ordering by publication date, most recent first); §7.3',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      if (walk.totalItems < 2) ctx.skip('fewer than two messages: no order to check')
      const pageSize = Math.max(1, Math.min(5, Math.ceil(walk.totalItems / 3)))
      const small = await walkMessages(
        ctx,
        'consultation',
        {},
        { pageSize, limit: Math.min(ctx.limits.maxMessages, 100) },
      )
      for (const [name, list, size] of [
        ['pageSize=100', walk, 100],
        [`pageSize=${pageSize}`, small, pageSize],
      ] as const) {
        for (let index = 1; index < list.items.length; index++) {
          const newer = list.items[index - 1]!
          const older = list.items[index]!
          if (Date.parse(older.receiptDate) > Date.parse(newer.receiptDate)) {
            const pageIndex = Math.floor(index / size)
            const pointer = `/items/${index % size}`
            ctx.fail(
              `with ${name}, message ${older.messageId} (received ${older.receiptDate}) comes after ${newer.messageId} (received ${newer.receiptDate})`,
              list.pages[pageIndex],
              { pointer, note: 'newest first across pages' },
            )
          }
        }
      }
    },
  }),
]
