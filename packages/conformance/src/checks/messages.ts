import { createHash, randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { Attachment, Attachments, Body, type Message, Message as MessageSchema } from '@ebox/contract'
import { allMessages, attachmentPath, mainAttachment, messageDetails, messagePath } from '../data.ts'
import { type CheckContext, defineCheck } from '../framework.ts'
import type { Exchange } from '../http.ts'

type AttachmentItem = Message['attachments']['items'][number]

/** The first pointer where two JSON values differ. */
export function firstDifference(a: unknown, b: unknown, pointer = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const key of keys) {
      const found = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${pointer}/${key}`,
      )
      if (found !== undefined) return found
    }
  }
  return pointer || '/'
}

/** Downloads an attachment's content and compares it with what the attachment advertises. */
async function expectContentMatches(
  ctx: CheckContext,
  caller: 'consultation',
  messageId: string,
  attachment: AttachmentItem,
): Promise<Exchange> {
  const exchange = await ctx.get(caller, attachmentPath(messageId, attachment.attachmentId, true))
  ctx.expectStatus(
    exchange,
    200,
    `the content of attachment ${attachment.attachmentId} of message ${messageId}`,
  )
  const digest = createHash('sha256').update(exchange.body).digest('base64url')
  ctx.assert(
    digest === attachment.digest.digestValue,
    `attachment ${attachment.attachmentId} of message ${messageId}: the content's SHA-256 is ${digest}, the advertised digest ${attachment.digest.digestValue}`,
    exchange,
    { note: `${exchange.body.length} bytes received` },
  )
  const kilobytes = exchange.body.length / 1024
  ctx.assert(
    Math.abs(kilobytes - attachment.size) <= 0.01,
    `attachment ${attachment.attachmentId} of message ${messageId}: ${exchange.body.length} bytes (${kilobytes.toFixed(3)} kB) received, size says ${attachment.size} kB`,
    exchange,
  )
  const length = exchange.headers.get('content-length')
  if (length !== null) {
    ctx.assert(
      Number(length) === exchange.body.length,
      `Content-Length says ${length}, ${exchange.body.length} bytes came`,
      exchange,
    )
  }
  return exchange
}

/**
 * Messages whose content may be downloaded without changing anything: in the read phase and in the prod profile,
 * only messages already read (downloading a main content marks its message read, §5.2).
 */
function downloadable(
  ctx: CheckContext,
  messages: Message[],
  anyState: boolean,
): Array<{ message: Message; attachment: AttachmentItem }> {
  const found: Array<{ message: Message; attachment: AttachmentItem }> = []
  for (const message of messages) {
    if (!(anyState && ctx.profile === 'certification') && !message.readStatus) continue
    for (const attachment of message.attachments?.items ?? []) found.push({ message, attachment })
  }
  return found.slice(0, ctx.limits.maxDownloads)
}

export const messageChecks = [
  defineCheck({
    id: 'message.detail',
    title: 'GET /ebox/messages/{id} answers the message as the contract defines it, the same as in the list',
    rule: '§5.2 (message detail → 200 Message); §6.3; §5 portal usage (the list carries all message information)',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      if (items.length === 0) ctx.skip('the e-Box has no message')
      for (const { message, exchange } of await messageDetails(ctx)) {
        ctx.expectJson(exchange, MessageSchema, `message ${message.messageId}`)
        const listed = items.find((item) => item.messageId === message.messageId)
        const difference = firstDifference(listed, message)
        ctx.assert(
          difference === undefined,
          `message ${message.messageId} differs between the list and its detail at ${difference}`,
          exchange,
          {
            pointer: difference,
            note: `in the list: ${JSON.stringify(listed && difference ? pick(listed, difference) : undefined)}`,
          },
        )
      }
    },
  }),
  defineCheck({
    id: 'message.not-found',
    title: 'An unknown message or attachment answers 404 with a StatusMessage',
    rule: '§5.2 (unknown id → 404); §5.9',
    async run(ctx: CheckContext) {
      const unknown = randomUUID()
      ctx.expectStatusMessage(await ctx.get('consultation', messagePath(unknown)), 404, 'an unknown message')
      ctx.expectStatusMessage(
        await ctx.get('consultation', attachmentPath(unknown, '1', true)),
        404,
        'content of an unknown message',
      )
      const { items } = await allMessages(ctx)
      if (items[0]) {
        ctx.expectStatusMessage(
          await ctx.get('consultation', attachmentPath(items[0].messageId, 'conformance-unknown')),
          404,
          'an unknown attachment',
        )
        ctx.expectStatusMessage(
          await ctx.get('consultation', attachmentPath(items[0].messageId, 'conformance-unknown', true)),
          404,
          'the content of an unknown attachment',
        )
      }
    },
  }),
  defineCheck({
    id: 'message.attachments',
    title:
      'The attachments of a message, listed and one by one, are those of its detail, with their content link',
    rule: '§5.2 (GET …/attachments → { items, totalItems }; …/attachments/{id} → Attachment); §6.4',
    async run(ctx: CheckContext) {
      const details = (await messageDetails(ctx)).filter(
        ({ message }) => message.attachments.items.length > 0,
      )
      if (details.length === 0) ctx.skip('no message with attachments')
      for (const { message } of details.slice(0, 5)) {
        const list = await ctx.get('consultation', `${messagePath(message.messageId)}/attachments`)
        ctx.expectStatus(list, 200, `the attachments of message ${message.messageId}`)
        const body = ctx.expectJson(list, Attachments, `the attachments of message ${message.messageId}`)
        const difference = firstDifference(message.attachments, body)
        ctx.assert(
          difference === undefined,
          `the attachments of ${message.messageId} differ from its detail at ${difference}`,
          list,
          {
            pointer: difference,
          },
        )
        for (const attachment of message.attachments.items) {
          const one = await ctx.get(
            'consultation',
            attachmentPath(message.messageId, attachment.attachmentId),
          )
          ctx.expectStatus(one, 200, `attachment ${attachment.attachmentId} of ${message.messageId}`)
          const got = ctx.expectJson(
            one,
            Attachment,
            `attachment ${attachment.attachmentId} of ${message.messageId}`,
          )
          const diff = firstDifference(attachment, got)
          ctx.assert(
            diff === undefined,
            `attachment ${attachment.attachmentId} differs from the detail at ${diff}`,
            one,
            { pointer: diff },
          )
          const expectedPath = new URL(
            ctx.client.url(attachmentPath(message.messageId, attachment.attachmentId, true)),
          ).pathname
          const href = new URL(got.contentHref, `${ctx.client.baseUrl}/`).pathname
          ctx.assert(
            href.endsWith(attachmentPath(message.messageId, attachment.attachmentId, true)) ||
              href === expectedPath,
            `contentHref ${got.contentHref} does not lead to ${expectedPath}`,
            one,
            { pointer: '/contentHref' },
          )
        }
      }
    },
  }),
  defineCheck({
    id: 'message.content-href',
    title:
      'Every attachment contentHref is an absolute URL (https for an https registry: ACC and PRD) leading to its content',
    rule: '2.1 Attachment.contentHref `format: uri` ("URL to the content"): the portal follows it from the browser, where a relative href resolves against the portal; contract decision "contentHref"',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      const protocols = ctx.requireHttpsHrefs ? ['https:'] : ['https:', 'http:']
      let seen = 0
      walk.items.forEach((message, index) => {
        ;(message.attachments?.items ?? []).forEach((attachment, position) => {
          seen++
          const href = attachment.contentHref
          const where = { pointer: `/items/${index % 100}/attachments/items/${position}/contentHref` }
          const page = walk.pages[Math.floor(index / 100)]
          let url: URL | undefined
          try {
            url = new URL(href)
          } catch {
            ctx.fail(
              `contentHref ${href} of message ${message.messageId} is not an absolute URL`,
              page,
              where,
            )
          }
          if (!url) return
          ctx.assert(
            protocols.includes(url.protocol),
            `contentHref ${href} of message ${message.messageId} is not ${protocols.join(' or ')}`,
            page,
            where,
          )
          const path = attachmentPath(message.messageId, attachment.attachmentId, true)
          ctx.assert(url.pathname.endsWith(path), `contentHref ${href} does not lead to ${path}`, page, where)
        })
      })
      if (seen === 0) ctx.skip('no message has an attachment')
    },
  }),
  defineCheck({
    id: 'message.main-content',
    title: 'Every message has exactly one main content: its body, or exactly one attachment',
    rule: '§6.3 (exactly one main content: either the body or exactly one attachment)',
    async run(ctx: CheckContext) {
      const walk = await allMessages(ctx)
      walk.items.forEach((message, index) => {
        const mains = (message.attachments?.items ?? []).filter(
          (attachment) => attachment.isMainContent,
        ).length
        const ok = message.isBodyMainContent ? mains === 0 : mains === 1
        if (!ok) {
          ctx.fail(
            `message ${message.messageId}: isBodyMainContent is ${message.isBodyMainContent} and ${mains} attachment(s) are main content`,
            walk.pages[Math.floor(index / 100)],
            { pointer: `/items/${index % 100}` },
          )
        }
      })
    },
  }),
  defineCheck({
    id: 'content.digest-size',
    title: 'Attachment content bytes match the advertised SHA-256 digest (base64url) and size (kB)',
    rule: '§5.2 (content endpoint); §6.4 (size in kB = 1024 bytes, Digest sha_256 base64url)',
    // Late, so that in the certification profile downloading main contents cannot disturb the read-phase checks.
    phase: 'write',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const targets = downloadable(ctx, items, true)
      if (targets.length === 0) {
        ctx.skip(
          ctx.profile === 'prod'
            ? 'no attachment of an already read message (prod downloads nothing else)'
            : 'no attachment',
        )
      }
      for (const { message, attachment } of targets)
        await expectContentMatches(ctx, 'consultation', message.messageId, attachment)
      if (ctx.profile === 'certification') ctx.dataChanged()
    },
  }),
  defineCheck({
    id: 'content.body',
    title: 'The body of a message whose main content is its body answers { bodyContent } in nl, fr and de',
    rule: '§5.2 (GET /ebox/messages/{id}/body); §6.3 (isBodyMainContent); §6.1',
    // Reading a body that is the main content marks the message read: late, and in prod only read messages.
    phase: 'write',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const targets = items
        .filter(
          (message) => message.isBodyMainContent && (message.readStatus || ctx.profile === 'certification'),
        )
        .slice(0, 3)
      if (targets.length === 0) {
        ctx.skip(
          ctx.profile === 'prod'
            ? 'no already read message whose main content is its body'
            : 'no message whose main content is its body',
        )
      }
      for (const message of targets) {
        const exchange = await ctx.get('consultation', `${messagePath(message.messageId)}/body`)
        ctx.expectStatus(exchange, 200, `the body of message ${message.messageId}`)
        ctx.expectJson(exchange, Body, `the body of message ${message.messageId}`)
      }
      if (ctx.profile === 'certification') ctx.dataChanged()
    },
  }),
  defineCheck({
    id: 'content.headers',
    title: 'Attachment content is served with its media type, a download file name and no shared caching',
    rule: '§5.2 recommendation [I] (Content-Type = mediaType, Content-Disposition with filename*, Cache-Control private, no-store)',
    mandatory: false,
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const target = downloadable(ctx, items, false)[0]
      if (!target) ctx.skip('no attachment of an already read message')
      const { message, attachment } = target
      const exchange = await ctx.get(
        'consultation',
        attachmentPath(message.messageId, attachment.attachmentId, true),
      )
      ctx.expectStatus(exchange, 200, 'the content')
      const type = exchange.headers.get('content-type') ?? ''
      ctx.assert(
        type.split(';')[0]!.trim() === attachment.mediaType,
        `Content-Type is "${type}", the mediaType ${attachment.mediaType}`,
        exchange,
      )
      ctx.assert(
        /attachment;.*filename/i.test(exchange.headers.get('content-disposition') ?? ''),
        'no Content-Disposition with a file name',
        exchange,
      )
      const cache = exchange.headers.get('cache-control') ?? ''
      ctx.assert(
        /private|no-store/i.test(cache),
        `Cache-Control "${cache}" lets shared caches keep personal documents`,
        exchange,
      )
    },
  }),
  defineCheck({
    id: 'read.annex-keeps-unread',
    title: 'Downloading an attachment that is not the main content leaves the message unread',
    rule: '§5.2 (read status flips on main content only; an annex must not mark it read [I]); §7.8',
    profiles: ['certification'],
    phase: 'write',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const message = items.find(
        (item) => !item.readStatus && item.attachments.items.some((attachment) => !attachment.isMainContent),
      )
      if (!message) ctx.skip('no unread message with an attachment besides its main content')
      const annex = message.attachments.items.find((attachment) => !attachment.isMainContent)!
      ctx.dataChanged()
      await expectContentMatches(ctx, 'consultation', message.messageId, annex)
      const after = await ctx.get('consultation', messagePath(message.messageId))
      ctx.expectStatus(after, 200, 'the message after downloading its annex')
      ctx.assert(
        (after.json as Message).readStatus === false,
        `message ${message.messageId} became read by downloading an annex`,
        after,
        {
          pointer: '/readStatus',
        },
      )
    },
  }),
  defineCheck({
    id: 'read.main-marks-read',
    title: 'Downloading the main content (attachment or body) marks the message read',
    rule: '§5.2 (a message becomes read as soon as its main content is consulted); §7.8',
    profiles: ['certification'],
    phase: 'write',
    async run(ctx: CheckContext) {
      const { items } = await allMessages(ctx)
      const withAttachment = items.find((item) => !item.readStatus && mainAttachment(item))
      const withBody = items.find((item) => !item.readStatus && item.isBodyMainContent)
      if (!withAttachment && !withBody) ctx.skip('no unread message')
      ctx.dataChanged()
      for (const message of [withAttachment, withBody]) {
        if (!message) continue
        const main = mainAttachment(message)
        if (main) await expectContentMatches(ctx, 'consultation', message.messageId, main)
        else
          ctx.expectStatus(
            await ctx.get('consultation', `${messagePath(message.messageId)}/body`),
            200,
            'the body',
          )
        const after = await ctx.get('consultation', messagePath(message.messageId))
        ctx.expectStatus(after, 200, 'the message after reading its main content')
        ctx.assert(
          (after.json as Message).readStatus === true,
          `message ${message.messageId} is still unread after its main content was read`,
          after,
          {
            pointer: '/readStatus',
          },
        )
      }
    },
  }),
]

function pick(value: unknown, pointer: string): unknown {
  let current = value
  for (const key of pointer.split('/').slice(1))
    current = (current as Record<string, unknown> | undefined)?.[key]
  return current
}
