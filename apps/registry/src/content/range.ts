/** Bytes `start` to `end` of a content, both included (RFC 9110 §14.1.1). */
export interface ContentRange {
  start: number
  end: number
}

export type RangeRequest =
  /** No Range header, or one we ignore as RFC 9110 §14.2 allows (not bytes, several ranges, malformed). */
  { kind: 'whole' } | { kind: 'partial'; range: ContentRange } | { kind: 'unsatisfiable' }

/**
 * The `Range` header of a request for a content of `size` bytes. One range only: a PDF viewer asks for one at a
 * time, and several would need a multipart/byteranges body; a request for several gets the whole content (200).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match) return { kind: 'whole' }
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return { kind: 'whole' }
  if (first === '') {
    // bytes=-N: the last N bytes.
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } }
  }
  const start = Number(first)
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last)
  if (end < start) return { kind: 'whole' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } }
}
