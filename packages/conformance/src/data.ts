import type { Message } from '@ebox/contract'
import {
  Attachments,
  Message as MessageSchema,
  Messages,
  MessageType,
  SenderApplication,
  SenderOrganization,
} from '@ebox/contract'
import type { TSchema } from '@sinclair/typebox'
import type { CheckContext } from './framework.ts'
import type { Caller, Exchange, Query } from './http.ts'

/**
 * Data the checks share, read from the registry once per run: the message list walked page by page, message
 * details, and the reference data the messages use. Reading fails the check that asked (with evidence) when the
 * registry does not answer as the contract says.
 */

export const MESSAGES_PATH = '/ebox/messages'
export const STATISTICS_PATH = '/ebox/statistics'
export const REFERENCE_DATA_PREFIX = '/referenceData'

export interface ListWalk {
  items: Message[]
  /** totalItems of the first page. */
  totalItems: number
  /** Every item of the list was read (not cut at the limit). */
  complete: boolean
  pages: Exchange[]
}

/** A list page: 200 and `{ items: [...], totalItems: n }` at least (the full schema is list.shape's business). */
export function expectListPage(
  ctx: CheckContext,
  exchange: Exchange,
  what: string,
  idProperty?: string,
): { items: unknown[]; totalItems: number } {
  ctx.expectStatus(exchange, 200, what)
  const body = exchange.json as { items?: unknown; totalItems?: unknown } | undefined
  if (body === undefined || body === null || typeof body !== 'object') {
    ctx.fail(`${what}: the body is not a JSON object (${exchange.jsonError ?? typeof body})`, exchange)
  }
  if (!Array.isArray(body.items))
    ctx.fail(`${what}: \`items\` is ${body.items === null ? 'null' : 'not an array'}`, exchange, {
      pointer: '/items',
    })
  if (typeof body.totalItems !== 'number' || !Number.isInteger(body.totalItems) || body.totalItems < 0) {
    ctx.fail(
      `${what}: \`totalItems\` is ${body.totalItems === undefined ? 'missing' : 'not a non-negative integer'}`,
      exchange,
    )
  }
  if (idProperty) {
    const bad = body.items.findIndex(
      (item) =>
        item === null ||
        typeof item !== 'object' ||
        typeof (item as Record<string, unknown>)[idProperty] !== 'string',
    )
    if (bad >= 0)
      ctx.fail(`${what}: item ${bad} has no ${idProperty}`, exchange, { pointer: `/items/${bad}` })
  }
  return body as { items: unknown[]; totalItems: number }
}

/** Walks a message list page by page (newest first) until its end or `limit` messages. */
export async function walkMessages(
  ctx: CheckContext,
  caller: Caller,
  query: Query = {},
  options: { pageSize?: number; limit?: number } = {},
): Promise<ListWalk> {
  const pageSize = options.pageSize ?? 100
  const limit = options.limit ?? ctx.limits.maxMessages
  const items: Message[] = []
  const pages: Exchange[] = []
  let totalItems = 0
  for (let page = 1; ; page++) {
    const exchange = await ctx.get(caller, MESSAGES_PATH, { ...query, page, pageSize })
    pages.push(exchange)
    const body = expectListPage(ctx, exchange, `the messages list (page ${page})`, 'messageId')
    if (page === 1) totalItems = body.totalItems
    items.push(...(body.items as Message[]))
    // The pages totalItems announces, whatever their length (a short page in the middle is a paging bug
    // that other checks must see, not the end of the walk).
    if (body.items.length === 0 || page >= Math.ceil(totalItems / pageSize)) {
      return { items, totalItems, complete: true, pages }
    }
    if (items.length >= limit) return { items, totalItems, complete: false, pages }
  }
}

/** The default list of the e-Box under test (no filter), as the consultation role sees it. */
export function allMessages(ctx: CheckContext): Promise<ListWalk> {
  return ctx.once('messages', () => walkMessages(ctx, 'consultation'))
}

export interface MessageDetail {
  message: Message
  exchange: Exchange
}

/** Details of the first messages of the list (at most `maxDetails`), checked against the Message schema. */
export function messageDetails(ctx: CheckContext): Promise<MessageDetail[]> {
  return ctx.once('details', async () => {
    const { items } = await allMessages(ctx)
    const details: MessageDetail[] = []
    for (const item of items.slice(0, ctx.limits.maxDetails)) {
      const exchange = await ctx.get('consultation', messagePath(item.messageId))
      ctx.expectStatus(exchange, 200, `the detail of message ${item.messageId}`)
      const message = ctx.expectJson(exchange, MessageSchema, `the detail of message ${item.messageId}`)
      details.push({ message, exchange })
    }
    return details
  })
}

export function messagePath(messageId: string): string {
  return `${MESSAGES_PATH}/${encodeURIComponent(messageId)}`
}

export function attachmentPath(messageId: string, attachmentId: string, content = false): string {
  return `${messagePath(messageId)}/attachments/${encodeURIComponent(attachmentId)}${content ? '/content' : ''}`
}

export type ReferenceKind = 'messageTypes' | 'senderApplications' | 'senderOrganizations'

export const REFERENCE_KINDS: Record<
  ReferenceKind,
  { schema: TSchema; idProperty: string; messageProperty: keyof Message }
> = {
  messageTypes: { schema: MessageType, idProperty: 'messageTypeId', messageProperty: 'messageTypeId' },
  senderApplications: {
    schema: SenderApplication,
    idProperty: 'applicationId',
    messageProperty: 'senderApplicationId',
  },
  senderOrganizations: {
    schema: SenderOrganization,
    idProperty: 'organizationId',
    messageProperty: 'senderOrganizationId',
  },
}

export function referencePath(kind: ReferenceKind, id?: string): string {
  return `${REFERENCE_DATA_PREFIX}/${kind}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`
}

export interface ReferenceDetail {
  kind: ReferenceKind
  id: string
  exchange: Exchange
}

/**
 * Every reference-data id the listed messages use (messageTypeId, senderApplicationId, senderOrganizationId),
 * read once each as the reference-data role. Answers are not judged here (refdata.resolution does).
 */
export function referenceDetails(ctx: CheckContext): Promise<ReferenceDetail[]> {
  return ctx.once('reference-details', async () => {
    const { items } = await allMessages(ctx)
    const wanted = new Map<string, { kind: ReferenceKind; id: string }>()
    for (const message of items) {
      for (const [kind, { messageProperty }] of Object.entries(REFERENCE_KINDS) as [
        ReferenceKind,
        (typeof REFERENCE_KINDS)[ReferenceKind],
      ][]) {
        const id = message[messageProperty]
        if (typeof id === 'string') wanted.set(`${kind}/${id}`, { kind, id })
      }
    }
    if (wanted.size === 0) {
      // An empty e-Box: judge the first item of each list instead.
      for (const kind of Object.keys(REFERENCE_KINDS) as ReferenceKind[]) {
        const list = await ctx.get('referenceData', referencePath(kind), { pageSize: 1 })
        const first = (list.json as { items?: Record<string, unknown>[] } | undefined)?.items?.[0]
        const id = first?.[REFERENCE_KINDS[kind].idProperty]
        if (typeof id === 'string') wanted.set(`${kind}/${id}`, { kind, id })
      }
    }
    const details: ReferenceDetail[] = []
    for (const { kind, id } of wanted.values()) {
      details.push({ kind, id, exchange: await ctx.get('referenceData', referencePath(kind, id)) })
    }
    return details
  })
}

/** The reference-data detail of an id as a plain object, when it was read and answered 200. */
export async function referenceItem(
  ctx: CheckContext,
  kind: ReferenceKind,
  id: string,
): Promise<Record<string, unknown> | undefined> {
  const details = await referenceDetails(ctx)
  const found = details.find((detail) => detail.kind === kind && detail.id === id)
  // Ids of messages beyond the listed sample are read on demand (once each).
  const exchange =
    found?.exchange ??
    (ctx.hasRole('referenceData')
      ? await ctx.once(`reference/${kind}/${id}`, () => ctx.get('referenceData', referencePath(kind, id)))
      : undefined)
  return exchange?.status === 200 ? (exchange.json as Record<string, unknown>) : undefined
}

export interface SampledResponse {
  exchange: Exchange
  schema: TSchema
  what: string
}

/**
 * JSON answers of the main read operations (list pages, details, attachment lists, reference data), each with
 * the schema it must follow: what the cross-cutting data checks (nulls, translations, enterprise numbers) read.
 */
export function sampledResponses(ctx: CheckContext): Promise<SampledResponse[]> {
  return ctx.once('sample', async () => {
    const sample: SampledResponse[] = []
    const walk = await allMessages(ctx)
    for (const page of walk.pages)
      sample.push({ exchange: page, schema: Messages, what: 'the messages list' })
    const details = await messageDetails(ctx)
    for (const { message, exchange } of details) {
      sample.push({ exchange, schema: MessageSchema, what: `message ${message.messageId}` })
    }
    for (const { message } of details.slice(0, 5)) {
      const exchange = await ctx.get('consultation', `${messagePath(message.messageId)}/attachments`)
      if (exchange.status === 200)
        sample.push({ exchange, schema: Attachments, what: `attachments of ${message.messageId}` })
    }
    for (const detail of await referenceDetails(ctx)) {
      if (detail.exchange.status === 200) {
        sample.push({
          exchange: detail.exchange,
          schema: REFERENCE_KINDS[detail.kind].schema,
          what: `${detail.kind}/${detail.id}`,
        })
      }
    }
    return sample
  })
}

/** The calendar date (yyyy-MM-dd) of an instant in Europe/Brussels: the date bounds of the list filters. */
export function brusselsDate(dateTime: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Europe/Brussels',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(dateTime))
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? ''
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** The main content of a message: its body, or the one attachment marked main. */
export function mainAttachment(message: Message): Message['attachments']['items'][number] | undefined {
  return message.isBodyMainContent
    ? undefined
    : message.attachments.items.find((attachment) => attachment.isMainContent)
}
