import type { Readable } from 'node:stream'
import { ATTACHMENT_MEDIA_TYPES, RegistryError } from '@ebox/contract'

/**
 * A part of the publication body as the service sees it: what a multipart parser yields (@fastify/multipart's
 * parts fit), without the HTTP request.
 */
export type PublicationPart =
  | {
      type: 'file'
      fieldname: string
      filename: string | undefined
      mimetype: string | undefined
      file: Readable
    }
  | { type: 'field'; fieldname: string; value: unknown; valueTruncated: boolean }

const FILE_NAME_MAX_LENGTH = 255

/** Counts every byte of a file part against the request's budget as it streams by. */
export async function* counted(source: Readable, count: (bytes: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer>) {
    count(chunk.length)
    yield chunk
  }
}

/** The part's file name: required, without path, percent-decoded when the sender encoded it (§6.6). */
export function fileNameOf(partName: string, raw: string | undefined): string {
  let name = raw?.trim() ?? ''
  if (/%[0-9A-Fa-f]{2}/.test(name)) {
    try {
      name = decodeURIComponent(name)
    } catch {
      // Not percent-encoding after all: keep the name as given.
    }
  }
  if (name.length === 0) throw new RegistryError('INVALID_INPUT', `The part "${partName}" has no file name.`)
  if (name.length > FILE_NAME_MAX_LENGTH || /\p{Cc}/u.test(name)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The file name of "${partName}" must be 1 to ${FILE_NAME_MAX_LENGTH} characters without control characters.`,
    )
  }
  return name
}

export function mediaTypeOf(partName: string, raw: string | undefined): string {
  const mediaType = raw?.toLowerCase() ?? ''
  if (!(ATTACHMENT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The part "${partName}" has media type "${raw ?? ''}"; allowed: ${ATTACHMENT_MEDIA_TYPES.join(', ')}.`,
    )
  }
  return mediaType
}
