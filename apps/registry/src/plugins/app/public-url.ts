import type { Attachment, Message, SenderApplication, SenderOrganization } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** `PUBLIC_BASE_URL` (no trailing slash): what `contentHref` values start with. */
    publicBaseUrl: string
  }
}

/**
 * `contentHref` is a URI (2.1: `format: uri`, "URL to the content"): the repositories give paths from the
 * service root, and routes make them absolute under the configured public URL just before answering, in place
 * (the objects are the request's own, or a cache entry's before it is first serialised).
 */
export function absoluteAttachmentHrefs(base: string, attachments: Attachment[]): void {
  for (const attachment of attachments) attachment.contentHref = base + attachment.contentHref
}

export function absoluteMessageHrefs(base: string, messages: Message[]): void {
  for (const message of messages) absoluteAttachmentHrefs(base, message.attachments.items)
}

/** Logos of sender organisations and applications; other reference data has none and is left as it is. */
export function absoluteImageHrefs(base: string, owners: unknown[]): void {
  for (const owner of owners as Partial<SenderOrganization & SenderApplication>[]) {
    for (const image of [...(owner.organizationLogos ?? []), ...(owner.applicationLogos ?? [])]) {
      image.contentHref = base + image.contentHref
    }
  }
}

export default fp(
  async function publicUrl(app: FastifyInstance, options: { publicBaseUrl: string }) {
    app.decorate('publicBaseUrl', options.publicBaseUrl)
  },
  { name: 'public-url' },
)
