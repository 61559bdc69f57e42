/** A statement the service ran, as recorded by capture-preload.ts (values encoded for JSON). */
export interface CapturedStatement {
  text: string
  name?: string
  values: EncodedValue[]
  /** A COPY stream (pg-copy-streams), replayed as one: … TO STDOUT read to its end, … FROM STDIN sent `copyIn`. */
  copy?: boolean
  /** The bytes a COPY … FROM STDIN sent, base64. */
  copyIn?: string
  /** Milliseconds since the service started: overlapping statements ran concurrently. */
  startedAt: number
  endedAt: number
}

export type EncodedValue =
  | string
  | number
  | boolean
  | null
  | { $b64: string }
  | { $date: string }
  | { $json: string }
  | EncodedValue[]

/** A query parameter as JSON: pg would send a Buffer as bytea, a Date as a timestamp, an object as JSON text. */
export function encodeValue(value: unknown): EncodedValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value
  if (typeof value === 'bigint') return value.toString()
  if (Buffer.isBuffer(value)) return { $b64: value.toString('base64') }
  if (value instanceof Date) return { $date: value.toISOString() }
  if (Array.isArray(value)) return value.map(encodeValue)
  return { $json: JSON.stringify(value) }
}

/** The parameter to give pg again. */
export function decodeValue(value: EncodedValue): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(decodeValue)
  if ('$b64' in value) return Buffer.from(value.$b64, 'base64')
  if ('$date' in value) return new Date(value.$date)
  return value.$json
}
