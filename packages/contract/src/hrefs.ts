import { CONTRACT } from './decisions.ts'

/**
 * `contentHref` values (docs/contract-decisions.md): paths from the service root, starting with `/` like the
 * `Location` of a publication; a client appends them to the Message Registry URL it was registered with.
 */
export function attachmentContentHref(messageId: string, attachmentId: string): string {
  return `/ebox/messages/${encodeURIComponent(messageId)}/attachments/${encodeURIComponent(attachmentId)}/content`
}

export function imageContentHref(
  collection: 'senderOrganizations' | 'senderApplications',
  ownerId: string,
  imageId: string,
): string {
  const prefix = CONTRACT.referenceDataPrefixes[0]
  return `${prefix}/${collection}/${encodeURIComponent(ownerId)}/images/${encodeURIComponent(imageId)}/content`
}
