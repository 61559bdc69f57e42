import { randomUUID } from 'node:crypto'
import { allMessages, MESSAGES_PATH, messagePath, REFERENCE_DATA_PREFIX, STATISTICS_PATH } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'

/** A message id that exists when the e-Box has messages (so a 404 cannot hide a missing auth check). */
async function someMessagePath(ctx: Parameters<typeof allMessages>[0]): Promise<string> {
  const { items } = await allMessages(ctx)
  return messagePath(items[0]?.messageId ?? randomUUID())
}

export const authChecks = [
  defineCheck({
    id: 'auth.missing-token',
    title: 'Without a bearer token every protected operation answers 401 with a StatusMessage',
    rule: '§3.2 step 1 (absent token → 401); §5.9',
    async run(ctx: CheckContext) {
      for (const path of [
        MESSAGES_PATH,
        await someMessagePath(ctx),
        `${REFERENCE_DATA_PREFIX}/messageTypes`,
      ]) {
        ctx.expectStatusMessage(await ctx.get('anonymous', path), 401, `anonymous GET ${path}`)
      }
    },
  }),
  defineCheck({
    id: 'auth.invalid-token',
    title: 'A token the authorisation server never issued, or a non-Bearer scheme, answers 401',
    rule: '§3.2 steps 1 and 4 (invalid or inactive token → 401); §5.9',
    async run(ctx: CheckContext) {
      for (const path of [
        MESSAGES_PATH,
        await someMessagePath(ctx),
        `${REFERENCE_DATA_PREFIX}/messageTypes`,
      ]) {
        ctx.expectStatusMessage(await ctx.get('invalid-token', path), 401, `GET ${path} with a forged token`)
      }
      const basic = await ctx.request('anonymous', 'GET', MESSAGES_PATH, {
        headers: { authorization: 'Basic Y29uZm9ybWFuY2U6Y29uZm9ybWFuY2U=' },
      })
      ctx.expectStatusMessage(basic, 401, 'GET /ebox/messages with Basic credentials')
    },
  }),
  defineCheck({
    id: 'auth.insufficient-scope',
    title: 'A valid token without a consultation scope answers 403 on the message operations',
    rule: '§3.2 step 5 (missing scope → 403); §3.4; OPERATION_SCOPES',
    async run(ctx: CheckContext) {
      ctx.requireRole('insufficientScope')
      for (const path of [MESSAGES_PATH, await someMessagePath(ctx), STATISTICS_PATH]) {
        ctx.expectStatusMessage(
          await ctx.get('insufficientScope', path),
          403,
          `GET ${path} without a consultation scope`,
        )
      }
    },
  }),
  defineCheck({
    id: 'auth.publication-scope',
    title: 'A publication token opens reference data but not the consultation of messages',
    rule: '§3.4 (publicationsender); contract decision "reference data readable with any publication scope"',
    mandatory: false,
    async run(ctx: CheckContext) {
      if (!ctx.hasRole('publication'))
        ctx.skip('needs a token of the publication role (--publication-token-command)')
      ctx.expectStatusMessage(
        await ctx.get('publication', MESSAGES_PATH),
        403,
        'GET /ebox/messages as a publisher',
      )
      ctx.expectStatus(
        await ctx.get('publication', `${REFERENCE_DATA_PREFIX}/messageTypes`),
        200,
        'reference data as a publisher',
      )
    },
  }),
]
