import { randomUUID } from 'node:crypto'
import {
  type Message,
  MessageAction,
  Statistics,
  UNIMPLEMENTED_OPERATIONS,
  type UnimplementedOperation,
} from '@ebox/contract'
import { allMessages, messagePath, STATISTICS_PATH } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'
import type { Exchange } from '../http.ts'

/**
 * The optional operations of the consultation profile (brief §1, §5.6): message actions ("forAction" messages,
 * the PATCH that marks the action executed, the statistics' "messages requiring action", DC v3 draft S29) and the
 * 501 answer of the optional operations this registry does not serve (contract decisions "Message actions",
 * "Unimplemented optional operations").
 */

const ACTION_MEDIA_TYPE = 'application/merge-patch+json'
const actionPath = (messageId: string) => `${messagePath(messageId)}/messageAction`
const pending = (message: Message) => message.messageAction !== undefined && !message.messageAction.isExecuted

async function statisticsOf(
  ctx: CheckContext,
  what: string,
): Promise<{ body: Statistics; exchange: Exchange }> {
  const exchange = await ctx.get('consultation', STATISTICS_PATH)
  ctx.expectStatus(exchange, 200, what)
  return { body: ctx.expectJson(exchange, Statistics, what), exchange }
}

function executeAction(ctx: CheckContext, caller: 'consultation' | 'otherEbox', messageId: string) {
  return ctx.request(caller, 'PATCH', actionPath(messageId), {
    headers: { 'content-type': ACTION_MEDIA_TYPE },
    body: JSON.stringify({ isExecuted: true }),
  })
}

/** `{messageId}` and other path parameters of an operation, filled with an id no registry holds. */
const concretePath = (entry: UnimplementedOperation) => entry.path.replace(/\{\w+\}/g, () => randomUUID())

export const optionalChecks = [
  defineCheck({
    id: 'statistics.action-required',
    title: 'The statistics count the listed messages whose action is not executed yet',
    rule: 'DC v3 draft (S29): statistics tell "how many messages require action"; contract decision "Message actions"',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      if (!walk.complete) ctx.skip(`the e-Box lists more than ${ctx.limits.maxMessages} messages`)
      const { body, exchange } = await statisticsOf(ctx, 'the statistics')
      const expected = walk.items.filter(pending).length
      ctx.assert(
        body.actionRequiredMessages === expected,
        `actionRequiredMessages is ${body.actionRequiredMessages}, the list holds ${expected} message(s) whose action is pending`,
        exchange,
        { pointer: '/actionRequiredMessages' },
      )
      if (body.partitions.length > 0) {
        const sum = body.partitions.reduce((total, partition) => total + partition.actionRequiredMessages, 0)
        ctx.assert(
          sum === body.actionRequiredMessages,
          `the partitions' actionRequiredMessages add up to ${sum}, not ${body.actionRequiredMessages}`,
          exchange,
          { pointer: '/partitions' },
        )
      }
    },
  }),
  defineCheck({
    id: 'actions.execute',
    title:
      'PATCH …/messageAction marks the action of a message executed, once (idempotent), only in its own e-Box, and the statistics follow',
    rule: 'DC v3 draft (S29): "execute the message action by making a patch"; contract decision "Message actions"',
    profiles: ['certification'],
    phase: 'write',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const message = items.find(pending)
      if (!message) ctx.fail('the data set holds no listed message with a pending messageAction to execute')
      const before = await statisticsOf(ctx, 'the statistics before')
      ctx.dataChanged()
      if (ctx.hasRole('otherEbox')) {
        const foreign = await executeAction(ctx, 'otherEbox', message.messageId)
        ctx.expectStatusMessage(foreign, 404, 'another e-Box executing the action')
      }
      const withoutAction = items.find((item) => item.messageAction === undefined)
      if (withoutAction) {
        const none = await executeAction(ctx, 'consultation', withoutAction.messageId)
        ctx.expectStatusMessage(none, 404, 'executing the action of a message that asks for none')
      }
      const first = await executeAction(ctx, 'consultation', message.messageId)
      ctx.expectStatus(first, 200, 'executing the action')
      const action = ctx.expectJson(first, MessageAction, 'the executed action')
      ctx.assert(action.isExecuted && action.executionDate !== undefined, 'the answer is not executed', first)
      const detail = await ctx.get('consultation', messagePath(message.messageId))
      ctx.expectStatus(detail, 200, 'the message after executing its action')
      const stored = (detail.json as Message).messageAction
      ctx.assert(
        JSON.stringify(stored) === JSON.stringify(action),
        `the message shows ${JSON.stringify(stored)} after the PATCH answered ${JSON.stringify(action)}`,
        detail,
        { pointer: '/messageAction' },
      )
      const again = await executeAction(ctx, 'consultation', message.messageId)
      ctx.expectStatus(again, 200, 'executing the action again')
      ctx.assert(
        JSON.stringify(again.json) === JSON.stringify(action),
        `a second PATCH answered ${JSON.stringify(again.json)}, not the first execution ${JSON.stringify(action)}`,
        again,
      )
      const after = await statisticsOf(ctx, 'the statistics after')
      ctx.assert(
        after.body.actionRequiredMessages === before.body.actionRequiredMessages - 1,
        `actionRequiredMessages went from ${before.body.actionRequiredMessages} to ${after.body.actionRequiredMessages}, not one less`,
        after.exchange,
        { pointer: '/actionRequiredMessages' },
      )
    },
  }),
  defineCheck({
    id: 'optional.not-implemented',
    title:
      'Each optional operation the registry does not serve answers 501 NOT_IMPLEMENTED (StatusMessage), not 404',
    rule: '§5.6 (501 rather than 404); contract decision "Unimplemented optional operations" (UNIMPLEMENTED_OPERATIONS)',
    async run(ctx: CheckContext) {
      let tried = 0
      for (const entry of UNIMPLEMENTED_OPERATIONS) {
        // The prod profile only reads; the publication role is optional there.
        if (ctx.profile === 'prod' && entry.method !== 'GET') continue
        const caller = entry.operation === 'optionalPublication' ? 'publication' : 'consultation'
        if (caller === 'publication' && !ctx.hasRole('publication')) continue
        const exchange = await ctx.request(caller, entry.method, concretePath(entry), {
          ...(entry.method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }),
        })
        ctx.expectStatusMessage(exchange, 501, `${entry.operationId} (${entry.method} ${entry.path})`)
        ctx.assert(
          (exchange.json as { code: string }).code === 'NOT_IMPLEMENTED',
          `${entry.operationId} answered code ${(exchange.json as { code: string }).code}, not NOT_IMPLEMENTED`,
          exchange,
          { pointer: '/code' },
        )
        tried++
      }
      if (tried === 0) ctx.skip('no unserved optional operation this profile may call')
    },
  }),
]
