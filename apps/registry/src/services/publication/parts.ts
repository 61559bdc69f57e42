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

/** Stored when cleaning leaves nothing of the name the sender gave. */
export const FALLBACK_FILE_NAME = 'attachment'

/** Controls, and the bidi marks, embeddings, overrides and isolates that make a name read other than it is. */
const UNSAFE_CHARACTERS = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu

/**
 * The part's file name (§6.6): required; percent-decoded first when the sender encoded it, then stripped of every
 * path component (`/`, `\\`), control and bidi character, so what is stored and served is a bare name that reads
 * as it is; `FALLBACK_FILE_NAME` when nothing remains. `givenName` is the name as given, for the audit trail only.
 */
export function fileNameOf(
  partName: string,
  raw: string | undefined,
): { fileName: string; givenName: string } {
  const givenName = raw ?? ''
  let name = givenName.trim()
  if (name.length === 0) throw new RegistryError('INVALID_INPUT', `The part "${partName}" has no file name.`)
  if (/%[0-9A-Fa-f]{2}/.test(name)) {
    try {
      name = decodeURIComponent(name)
    } catch {
      // Not percent-encoding after all: keep the name as given.
    }
  }
  name = name.replace(UNSAFE_CHARACTERS, '')
  name = (name.split(/[/\\]/).pop() ?? '').trim()
  if (name === '.' || name === '..' || name.length === 0) name = FALLBACK_FILE_NAME
  if (name.length > FILE_NAME_MAX_LENGTH) {
    throw new RegistryError(
      'INVALID_INPUT',
      `The file name of "${partName}" must be at most ${FILE_NAME_MAX_LENGTH} characters.`,
    )
  }
  return { fileName: name, givenName }
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
