import { CertificationVersion } from '@ebox/contract'
import { allMessages, expectListPage, MESSAGES_PATH } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'

export const CERTIFICATION_VERSION_PATH = '/certification/version'
export const RESET_PATH = '/certification/resetDataSet'

/** What the data set looks like right after a reset: what certification.reset-restores compares with. */
interface ResetState {
  totalItems: number
  readTotal: number
}

async function resetState(ctx: CheckContext): Promise<ResetState> {
  const all = await ctx.get('consultation', MESSAGES_PATH, { pageSize: 1 })
  const read = await ctx.get('consultation', MESSAGES_PATH, { pageSize: 1, readStatus: true })
  return {
    totalItems: expectListPage(ctx, all, 'the messages list after the reset').totalItems,
    readTotal: expectListPage(ctx, read, 'the read messages after the reset').totalItems,
  }
}

async function reset(ctx: CheckContext): Promise<void> {
  ctx.requireRole('certification')
  const exchange = await ctx.request('certification', 'POST', RESET_PATH)
  ctx.expectStatus(exchange, [200, 204], 'the reset of the data set')
  ctx.dataChanged()
}

export const certificationChecks = [
  defineCheck({
    id: 'certification.version',
    title: '/certification/version answers without authentication: version, apiVersion, build',
    rule: 'federation-duties §5 (/certification/version must exist, unsecured)',
    phase: 'setup',
    async run(ctx: CheckContext) {
      const exchange = await ctx.get('anonymous', CERTIFICATION_VERSION_PATH)
      ctx.expectStatus(exchange, 200, 'anonymous GET /certification/version')
      ctx.expectJson(exchange, CertificationVersion, 'the version')
    },
  }),
  defineCheck({
    id: 'certification.reset-protected',
    title: '/certification/resetDataSet refuses callers without the certification scope (401, 403)',
    rule: 'federation-duties §5 (reset secured by a scope reserved to the certifying authority); §3.2',
    profiles: ['certification'],
    phase: 'setup',
    async run(ctx: CheckContext) {
      ctx.expectStatusMessage(await ctx.request('anonymous', 'POST', RESET_PATH), 401, 'anonymous reset')
      ctx.expectStatusMessage(
        await ctx.request('consultation', 'POST', RESET_PATH),
        403,
        'reset with a consultation token',
      )
    },
  }),
  defineCheck({
    id: 'certification.reset',
    title: 'The certifier resets the test e-Box to its published data set',
    rule: 'federation-duties §5 (CERTIFICATION profile: /certification/resetDataSet before a run)',
    profiles: ['certification'],
    phase: 'setup',
    async run(ctx: CheckContext) {
      await reset(ctx)
      ctx.remember('reset-state', await resetState(ctx))
    },
  }),
  defineCheck({
    id: 'certification.data-set',
    title:
      'After the reset the e-Box holds the known data set (counts per filter, the PDF with attachment id 1)',
    rule: 'federation-duties §5 (consultation test scenarios: required test data)',
    profiles: ['certification'],
    phase: 'setup',
    async run(ctx: CheckContext) {
      const expected = ctx.expectations
      if (!expected) ctx.skip('no known data set was given')
      const walk = await allMessages(ctx)
      const first = walk.pages[0]!
      if (expected.listTotal !== undefined) {
        ctx.assert(
          walk.totalItems === expected.listTotal,
          `the list holds ${walk.totalItems} messages, the data set ${expected.name} has ${expected.listTotal}`,
          first,
          { pointer: '/totalItems' },
        )
      }
      if (expected.minimumListTotal !== undefined) {
        ctx.assert(
          walk.totalItems >= expected.minimumListTotal,
          `the list holds ${walk.totalItems} messages, at least ${expected.minimumListTotal} expected`,
          first,
          { pointer: '/totalItems' },
        )
      }
      if (expected.mainPdf) {
        const { messageId, attachmentId } = expected.mainPdf
        const found = walk.items.some(
          (message) =>
            (messageId === undefined || message.messageId === messageId) &&
            message.attachments?.items?.some(
              (attachment) =>
                attachment.attachmentId === attachmentId &&
                attachment.isMainContent &&
                attachment.mediaType === 'application/pdf',
            ),
        )
        ctx.assert(
          found,
          `no message${messageId ? ` ${messageId}` : ''} with a main PDF attachment of id "${attachmentId}"`,
          first,
        )
      }
      for (const { query, totalItems, why } of expected.filterTotals ?? []) {
        const exchange = await ctx.get('consultation', MESSAGES_PATH, { ...query, pageSize: 1 })
        const body = expectListPage(ctx, exchange, `the list with ${JSON.stringify(query)}`)
        ctx.assert(
          body.totalItems === totalItems,
          `${why}: ${JSON.stringify(query)} lists ${body.totalItems} messages, the data set ${expected.name} has ${totalItems}`,
          exchange,
          { pointer: '/totalItems' },
        )
      }
      if (expected.otherEboxListTotal !== undefined && ctx.hasRole('otherEbox')) {
        const exchange = await ctx.get('otherEbox', MESSAGES_PATH, { pageSize: 1 })
        const body = expectListPage(ctx, exchange, 'the list of the other e-Box')
        ctx.assert(
          body.totalItems === expected.otherEboxListTotal,
          `the other e-Box lists ${body.totalItems} messages, the data set ${expected.name} has ${expected.otherEboxListTotal}`,
          exchange,
          { pointer: '/totalItems' },
        )
      }
    },
  }),
  defineCheck({
    id: 'certification.reset-restores',
    title: 'A second reset undoes the run: the messages read during the run are unread again',
    rule: 'federation-duties §5 (reset "to exactly the published dataset")',
    profiles: ['certification'],
    phase: 'final',
    async run(ctx: CheckContext) {
      const before = ctx.recall<ResetState>('reset-state')
      if (!before) ctx.fail('the first reset did not succeed (see certification.reset)')
      await reset(ctx)
      const after = await resetState(ctx)
      ctx.assert(
        after.totalItems === before.totalItems && after.readTotal === before.readTotal,
        `after the second reset the e-Box holds ${after.totalItems} messages of which ${after.readTotal} read; after the first, ${before.totalItems} and ${before.readTotal}`,
      )
    },
  }),
]
