import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * HTTP details shared by the consultation routes: download headers, ETags and conditional requests.
 */

/** RFC 5987 attr-char: everything else is percent-encoded (UTF-8). */
const ATTR_CHAR = /[A-Za-z0-9!#$&+\-.^_`|~]/

function rfc5987(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte)
      return byte < 0x80 && ATTR_CHAR.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    })
    .join('')
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266, RFC 5987): old clients
 * read the fallback (accents stripped, other non-ASCII and quotes replaced by `_`), others the exact name.
 */
export function contentDisposition(fileName: string): string {
  const fallback = fileName
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${rfc5987(fileName)}`
}

/** A strong ETag of a response body: the SHA-256 of its JSON (or bytes). */
export function etagOf(body: unknown): string {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))
  return `"${createHash('sha256').update(bytes).digest('base64url')}"`
}

/** Whether If-None-Match names this ETag (weak comparison, `*` included): then the answer is 304. */
export function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match']
  if (!header) return false
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '')
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag))
}

/**
 * Sends a cacheable representation: Cache-Control and ETag always, 304 without a body when the client already
 * holds it.
 */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  cacheControl: string,
  body: unknown,
  etagSource: unknown = body,
) {
  return sendTagged(request, reply, cacheControl, etagOf(etagSource), body)
}

/** sendCacheable with the ETag already known; `mediaType` is set on a 200 only (a 304 has no body). */
export function sendTagged(
  request: FastifyRequest,
  reply: FastifyReply,
  cacheControl: string,
  etag: string,
  body: unknown,
  mediaType?: string,
) {
  reply.header('cache-control', cacheControl).header('etag', etag)
  if (notModified(request, etag)) return reply.code(304).send()
  if (mediaType) reply.type(mediaType)
  return reply.send(body)
}
