import { randomUUID } from 'node:crypto'
import { Statistics } from '@ebox/contract'
import {
  allMessages,
  attachmentPath,
  MESSAGES_PATH,
  messagePath,
  REFERENCE_DATA_PREFIX,
  STATISTICS_PATH,
  sampledResponses,
  walkMessages,
} from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'
import type { Exchange } from '../http.ts'
import { enterpriseNumberProblems, findNulls, translatedStringProblems } from '../validate.ts'

export const dataChecks = [
  defineCheck({
    id: 'data.no-nulls',
    title: 'No JSON answer contains null: absent values are left out',
    rule: '§6 ("no nulls — omit a property instead"); §7.7',
    async run(ctx: CheckContext) {
      for (const { exchange, what } of await sampledResponses(ctx)) {
        const nulls = findNulls(exchange.json)
        ctx.assert(nulls.length === 0, `${what}: null at ${nulls.slice(0, 5).join(', ')}`, exchange, {
          pointer: nulls[0],
        })
      }
    },
  }),
  defineCheck({
    id: 'data.translated-strings',
    title: 'Every TranslatedString carries nl, fr and de, none empty',
    rule: '§6.1 (for the portal all three must be filled); §7.2; CONTRACT.translationFallback',
    async run(ctx: CheckContext) {
      for (const { exchange, schema, what } of await sampledResponses(ctx)) {
        const problems = translatedStringProblems(schema, exchange.json)
        const first = problems[0]
        ctx.assert(
          first === undefined,
          `${what}: TranslatedString at ${first?.pointer}: ${first?.message}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
          exchange,
          { pointer: first?.pointer },
        )
      }
    },
  }),
  defineCheck({
    id: 'data.enterprise-numbers',
    title: 'Every enterprise number is 10 digits starting with 0 or 1',
    rule: '§4.1 (10 digits, [0-1][0-9]{9}; padded from tokens); §7.5',
    async run(ctx: CheckContext) {
      for (const { exchange, what } of await sampledResponses(ctx)) {
        const problems = enterpriseNumberProblems(exchange.json)
        const first = problems[0]
        ctx.assert(
          first === undefined,
          `${what}: ${first?.pointer} is ${JSON.stringify(first?.value)}, ${first?.message}`,
          exchange,
          {
            pointer: first?.pointer,
          },
        )
      }
    },
  }),
  defineCheck({
    id: 'errors.status-message',
    title:
      'Errors (400, 401, 404, unknown route) answer a JSON StatusMessage { id, code, message, environment }',
    rule: '§5.9 (StatusMessage: id uuid, code, message required; environment enum); contract decision "StatusMessage for every error"',
    async run(ctx: CheckContext) {
      const cases: Array<[string, Promise<Exchange>, number]> = [
        ['a missing token', ctx.get('anonymous', MESSAGES_PATH), 401],
        ['a syntax error', ctx.get('consultation', MESSAGES_PATH, { pageSize: 'many' }), 400],
        ['an unknown message', ctx.get('consultation', messagePath(randomUUID())), 404],
        ['an unknown path', ctx.get('consultation', '/conformance/no-such-path'), 404],
      ]
      const ids = new Set<string>()
      for (const [what, pending, status] of cases) {
        const exchange = await pending
        ctx.expectStatusMessage(exchange, status, what)
        const id = (exchange.json as { id: string }).id
        ctx.assert(!ids.has(id), `two errors carry the same id ${id}: each error needs its own`, exchange, {
          pointer: '/id',
        })
        ids.add(id)
      }
    },
  }),
  defineCheck({
    id: 'statistics.shape',
    title: 'GET /ebox/statistics answers the counts of the e-Box',
    rule: '§1 and §5.5 (statistics mandatory; shape: contract decision)',
    async run(ctx: CheckContext) {
      const exchange = await ctx.get('consultation', STATISTICS_PATH)
      ctx.expectStatus(exchange, 200, 'the statistics')
      const body = ctx.expectJson(exchange, Statistics, 'the statistics')
      ctx.assert(body.unreadMessages <= body.totalMessages, 'more unread messages than messages', exchange)
    },
  }),
]

export const corsChecks = [
  defineCheck({
    id: 'cors.portal',
    title: "The portal's browser origin may call the registry: CORS preflight allows GET with Authorization",
    rule: '§3.5 (the portal calls DPs from the browser [I]); §7.12',
    mandatory: false,
    async run(ctx: CheckContext) {
      let allowed: string | undefined
      let last: Exchange | undefined
      for (const origin of ctx.portalOrigins) {
        last = await ctx.request('anonymous', 'OPTIONS', MESSAGES_PATH, {
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        })
        const allowOrigin = last.headers.get('access-control-allow-origin')
        const allowHeaders = (last.headers.get('access-control-allow-headers') ?? '').toLowerCase()
        if (
          last.status < 300 &&
          (allowOrigin === origin || allowOrigin === '*') &&
          (allowHeaders.includes('authorization') || allowHeaders.includes('*'))
        ) {
          allowed = origin
          break
        }
      }
      if (!allowed) {
        ctx.fail(
          `no portal origin (${ctx.portalOrigins.join(', ')}) passes the CORS preflight of GET /ebox/messages`,
          last,
          {
            note: 'expected Access-Control-Allow-Origin = the origin and Access-Control-Allow-Headers with authorization',
          },
        )
      }
      const exchange = await ctx.request('consultation', 'GET', MESSAGES_PATH, {
        headers: { origin: allowed },
      })
      const allowOrigin = exchange.headers.get('access-control-allow-origin')
      ctx.assert(
        allowOrigin === allowed || allowOrigin === '*',
        `GET /ebox/messages from ${allowed} has Access-Control-Allow-Origin "${allowOrigin ?? ''}"`,
        exchange,
      )
    },
  }),
]

export const isolationChecks = [
  defineCheck({
    id: 'isolation.cross-ebox',
    title:
      "Another e-Box's token neither lists, nor reads, nor finds this e-Box's messages (and the reverse)",
    rule: "§5.1 (scope of data: the caller's e-Box only); §5.2 (not the caller's → 404)",
    async run(ctx: CheckContext) {
      ctx.requireRole('otherEbox')
      const mine = await allMessages(ctx)
      const theirs = await walkMessages(ctx, 'otherEbox')
      const mineIds = new Set(mine.items.map((message) => message.messageId))
      const theirIds = new Set(theirs.items.map((message) => message.messageId))
      if (mine.items.length === 0 && theirs.items.length === 0) {
        const message = 'both e-Boxes are empty: isolation cannot be shown'
        if (ctx.profile === 'certification') ctx.fail(message)
        ctx.skip(message)
      }
      if (
        mine.items.length > 0 &&
        mine.items.every((message) => theirIds.has(message.messageId)) &&
        mineIds.size === theirIds.size
      ) {
        ctx.fail(
          'the other e-Box token lists exactly the messages of the e-Box under test: either it speaks for the same e-Box (check --other-ebox-token-command) or the registry ignores whose token it is',
          theirs.pages[0],
        )
      }
      theirs.items.forEach((message, index) => {
        if (mineIds.has(message.messageId)) {
          ctx.fail(
            `the other e-Box lists message ${message.messageId} of the e-Box under test`,
            theirs.pages[Math.floor(index / 100)],
            {
              pointer: `/items/${index % 100}`,
            },
          )
        }
      })
      for (const message of mine.items.slice(0, 3)) {
        ctx.expectStatusMessage(
          await ctx.get('otherEbox', messagePath(message.messageId)),
          404,
          `message ${message.messageId} read by another e-Box`,
        )
        ctx.expectStatusMessage(
          await ctx.get('otherEbox', `${messagePath(message.messageId)}/attachments`),
          404,
          `attachments of ${message.messageId} read by another e-Box`,
        )
      }
      // Content only of read messages: a registry that leaks would otherwise mark the victim's message read.
      const read = mine.items.find((message) => message.readStatus && message.attachments.items.length > 0)
      if (read) {
        ctx.expectStatusMessage(
          await ctx.get(
            'otherEbox',
            attachmentPath(read.messageId, read.attachments.items[0]!.attachmentId, true),
          ),
          404,
          `attachment content of ${read.messageId} read by another e-Box`,
        )
      }
      for (const message of theirs.items.slice(0, 3)) {
        ctx.expectStatusMessage(
          await ctx.get('consultation', messagePath(message.messageId)),
          404,
          `the other e-Box's message ${message.messageId}`,
        )
      }
      // A search for a subject of this e-Box must not reach into it from the other one.
      const subject = mine.items[0]?.subject.fr
      if (subject) {
        const found = await walkMessages(ctx, 'otherEbox', { q: subject, qlang: 'fr' }, { limit: 100 })
        ctx.assert(
          !found.items.some((message) => mineIds.has(message.messageId)),
          "a search by the other e-Box finds this e-Box's message",
          found.pages[0],
        )
      }
      ctx.expectStatus(
        await ctx.get('otherEbox', `${REFERENCE_DATA_PREFIX}/messageTypes`),
        200,
        'reference data as the other e-Box',
      )
    },
  }),
]
