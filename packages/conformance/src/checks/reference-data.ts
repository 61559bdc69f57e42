import { MessageTypes, SenderApplications, SenderOrganizations } from '@ebox/contract'
import type { TSchema } from '@sinclair/typebox'
import { REFERENCE_KINDS, type ReferenceKind, referenceDetails, referencePath } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'

const LISTS: Record<ReferenceKind, TSchema> = {
  messageTypes: MessageTypes,
  senderApplications: SenderApplications,
  senderOrganizations: SenderOrganizations,
}

const ONE_DAY_SECONDS = 86_400

/** What is wrong with a Cache-Control value for reference-data details (cacheable by anyone for ≥ 1 day). */
export function cacheControlProblem(value: string | null): string | undefined {
  if (!value) return 'no Cache-Control header'
  const directives = value
    .toLowerCase()
    .split(',')
    .map((part) => part.trim())
  if (
    directives.some((directive) => ['no-store', 'no-cache', 'private'].includes(directive.split('=')[0]!))
  ) {
    return `Cache-Control "${value}" forbids caching`
  }
  const maxAge = directives
    .map((directive) => /^(?:max-age|s-maxage)=(\d+)$/.exec(directive)?.[1])
    .find((seconds) => seconds !== undefined)
  if (maxAge === undefined) return `Cache-Control "${value}" has no max-age`
  if (Number(maxAge) < ONE_DAY_SECONDS)
    return `Cache-Control "${value}": max-age below ${ONE_DAY_SECONDS} s (one day)`
  return undefined
}

export const referenceDataChecks = [
  defineCheck({
    id: 'refdata.lists',
    title: 'The message type, sender application and sender organization lists answer { items, totalItems }',
    rule: '§5.4 (lists: page/pageSize, body { items, totalItems }); §7.1; contract decision "reference data readable with any consultation scope"',
    async run(ctx: CheckContext) {
      ctx.requireRole('referenceData')
      for (const [kind, schema] of Object.entries(LISTS) as [ReferenceKind, TSchema][]) {
        const exchange = await ctx.get('referenceData', referencePath(kind))
        ctx.expectStatus(exchange, 200, `the ${kind} list`)
        const body = ctx.expectJson(exchange, schema, `the ${kind} list`) as {
          items: unknown[]
          totalItems: number
        }
        ctx.assert(
          body.items.length <= body.totalItems,
          `the ${kind} list holds more items than totalItems`,
          exchange,
        )
        ctx.expectStatus(
          await ctx.get('consultation', referencePath(kind)),
          200,
          `the ${kind} list with a consultation token`,
        )
      }
    },
  }),
  defineCheck({
    id: 'refdata.resolution',
    title:
      'Every messageTypeId, senderApplicationId and senderOrganizationId a message uses resolves to its detail',
    rule: "§5.4 (every id referenced by a message MUST resolve; senderOrganizationId = the organization's CBE number)",
    async run(ctx: CheckContext) {
      ctx.requireRole('referenceData')
      for (const { kind, id, exchange } of await referenceDetails(ctx)) {
        ctx.expectStatus(exchange, 200, `${kind}/${id}, used by a message`)
        const body = ctx.expectJson(exchange, REFERENCE_KINDS[kind].schema, `${kind}/${id}`) as Record<
          string,
          unknown
        >
        const idProperty = REFERENCE_KINDS[kind].idProperty
        ctx.assert(
          body[idProperty] === id,
          `${kind}/${id} answers ${idProperty} "${String(body[idProperty])}"`,
          exchange,
          {
            pointer: `/${idProperty}`,
          },
        )
      }
    },
  }),
  defineCheck({
    id: 'refdata.cache-control',
    title: 'Reference-data details carry Cache-Control letting anyone cache them for a day or more',
    rule: '§5.4 (cache headers mandatory on the detail endpoints, max-age ≥ 86400); §7.4; CONTRACT.referenceDataCacheControl',
    async run(ctx: CheckContext) {
      ctx.requireRole('referenceData')
      const details = (await referenceDetails(ctx)).filter((detail) => detail.exchange.status === 200)
      if (details.length === 0) ctx.skip('no reference-data detail answered 200 (see refdata.resolution)')
      const kinds = new Set(details.map((detail) => detail.kind))
      for (const kind of Object.keys(REFERENCE_KINDS) as ReferenceKind[]) {
        if (!kinds.has(kind)) ctx.fail(`no ${kind} detail could be read to check its Cache-Control`)
      }
      for (const { kind, id, exchange } of details) {
        const problem = cacheControlProblem(exchange.headers.get('cache-control'))
        ctx.assert(problem === undefined, `${kind}/${id}: ${problem}`, exchange)
      }
    },
  }),
  defineCheck({
    id: 'refdata.not-found',
    title: 'An unknown reference-data id answers 404 with a StatusMessage',
    rule: '§5.4 (unknown id → 404); §5.9',
    async run(ctx: CheckContext) {
      ctx.requireRole('referenceData')
      for (const kind of Object.keys(REFERENCE_KINDS) as ReferenceKind[]) {
        const id = kind === 'senderOrganizations' ? '0000000097' : 'conformance-no-such-id'
        ctx.expectStatusMessage(await ctx.get('referenceData', referencePath(kind, id)), 404, `${kind}/${id}`)
      }
    },
  }),
]
