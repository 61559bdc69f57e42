import type { Readable } from 'node:stream'
import { MessageToPublish, RegistryError, registerContractFormats } from '@ebox/contract'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { assertStorableText } from '../../db/storable-text.ts'
import type { PublicationPart } from './parts.ts'

/** The `messageToPublish` part: read (bounded), parsed and checked against the contract's schema. */

export const MESSAGE_PART = 'messageToPublish'
/** The JSON part is small (subject ≤ 400 chars, ≤ 50 business data …): 1 MiB is far above any valid one. */
export const MESSAGE_PART_MAX_BYTES = 1024 * 1024

registerContractFormats()
const messageValidator = TypeCompiler.Compile(MessageToPublish)

/** messageToPublish sent as a file part (curl -F messageToPublish=@message.json): read it, bounded. */
export async function readSmallPart(source: Readable): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MESSAGE_PART_MAX_BYTES) {
      throw new RegistryError(
        'PAYLOAD_TOO_LARGE',
        `The part "${MESSAGE_PART}" exceeds ${MESSAGE_PART_MAX_BYTES} bytes.`,
      )
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** A field part's value: a string, or already parsed when the part declared `Content-Type: application/json`. */
export function fieldJson(part: Extract<PublicationPart, { type: 'field' }>): unknown {
  if (part.valueTruncated) {
    throw new RegistryError(
      'PAYLOAD_TOO_LARGE',
      `The part "${MESSAGE_PART}" exceeds ${MESSAGE_PART_MAX_BYTES} bytes.`,
    )
  }
  return part.value
}

export function parseMessage(json: unknown): MessageToPublish {
  let value = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch {
      throw new RegistryError('INVALID_INPUT', `The part "${MESSAGE_PART}" is not valid JSON.`)
    }
  }
  // The edge filter cannot see inside multipart: the same floor (no NUL, no lone surrogate) applies here.
  assertStorableText(value, MESSAGE_PART)
  assertDigestEncoding(value)
  if (!messageValidator.Check(value)) {
    const first = messageValidator.Errors(value).First()
    const where = first?.path ? `${MESSAGE_PART}${first.path}` : MESSAGE_PART
    throw new RegistryError(
      'INVALID_INPUT',
      `Invalid ${where}: ${first?.message ?? 'not a MessageToPublish'}.`,
    )
  }
  return value
}

/**
 * A digest in hex or padded base64 can never equal the base64url SHA-256 of the bytes: the NSSO answers
 * DIGEST_DO_NOT_MATCH for those (brief §6.4), and so do we, before the schema would call it INVALID_INPUT.
 */
function assertDigestEncoding(value: unknown) {
  const attachments = (value as { attachments?: unknown } | null)?.attachments
  if (!Array.isArray(attachments)) return
  for (const attachment of attachments as { httpPartName?: unknown; digest?: { digestValue?: unknown } }[]) {
    const digestValue = attachment?.digest?.digestValue
    if (typeof digestValue === 'string' && !/^[A-Za-z0-9_-]{43}$/.test(digestValue)) {
      throw new RegistryError(
        'DIGEST_DO_NOT_MATCH',
        `The digest of "${String(attachment.httpPartName)}" is not a SHA-256 in base64url (RFC 4648 §5, 43 ` +
          'characters, no padding): hex or base64 never match.',
      )
    }
  }
}
