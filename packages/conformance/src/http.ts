import { randomUUID } from 'node:crypto'
import type { TokenProvider } from './tokens.ts'
import type { Evidence, Role } from './types.ts'

/** Who a request is made as: a role (its token), nobody, or a token no authorisation server ever issued. */
export type Caller = Role | 'anonymous' | 'invalid-token'

/** A syntactically fine bearer token that no authorisation server issued. */
export const INVALID_TOKEN =
  'eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJjb25mb3JtYW5jZSJ9.aW52YWxpZC1zaWduYXR1cmU'

/** Response headers kept as evidence (never Set-Cookie or anything else). */
const EVIDENCE_HEADERS = [
  'content-type',
  'content-length',
  'cache-control',
  'etag',
  'www-authenticate',
  'content-disposition',
  'x-correlation-id',
]

const MAX_ATTEMPTS = 4

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Retry-After (seconds or an HTTP date) in milliseconds, between 0.5 and 30 s. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  let ms = 1000
  if (value && /^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000
  else if (value && !Number.isNaN(Date.parse(value))) ms = Date.parse(value) - now
  return Math.min(30_000, Math.max(500, ms))
}

export interface Exchange {
  method: string
  url: string
  caller: Caller
  correlationId: string
  status: number
  headers: Headers
  body: Buffer
  /** The parsed body when it is JSON, else undefined (see `jsonError`). */
  json: unknown
  jsonError: string | undefined
  durationMs: number
}

export type Query = Record<string, string | number | boolean | undefined>

export interface RequestOptions {
  query?: Query
  headers?: Record<string, string>
  body?: string
}

/** Raised before sending a request that the profile forbids: prod never writes. */
export class ReadOnlyViolation extends Error {
  constructor(method: string, path: string) {
    super(`the prod profile never sends ${method} ${path}: it is read-only`)
    this.name = 'ReadOnlyViolation'
  }
}

export class HttpFailure extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'HttpFailure'
  }
}

export interface ClientOptions {
  baseUrl: string
  tokens: TokenProvider
  /** GET, HEAD and OPTIONS only: any other method throws ReadOnlyViolation before anything is sent. */
  readOnly: boolean
  timeoutMs?: number
  fetch?: typeof fetch
  /** Prefix of the x-correlation-id each request carries (so the registry's logs can be matched). */
  correlationPrefix?: string
}

/** The only way checks talk to the registry: fetch, a token per role, timing, and evidence. */
export class RegistryClient {
  readonly baseUrl: string
  private counter = 0
  private readonly doFetch: typeof fetch

  constructor(private readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.doFetch = options.fetch ?? fetch
  }

  url(path: string, query?: Query): string {
    const url = new URL(this.baseUrl + (path.startsWith('/') ? path : `/${path}`))
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value))
    }
    return url.toString()
  }

  get(caller: Caller, path: string, query?: Query): Promise<Exchange> {
    return this.request(caller, 'GET', path, { query })
  }

  async request(
    caller: Caller,
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<Exchange> {
    if (this.options.readOnly && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      throw new ReadOnlyViolation(method, path)
    }
    const url = this.url(path, options.query)
    const correlationId = `${this.options.correlationPrefix ?? 'conformance'}-${++this.counter}-${randomUUID().slice(0, 8)}`
    const headers: Record<string, string> = {
      accept: 'application/json, */*;q=0.5',
      'x-correlation-id': correlationId,
      ...options.headers,
    }
    if (caller === 'invalid-token') headers.authorization = `Bearer ${INVALID_TOKEN}`
    else if (caller !== 'anonymous') headers.authorization = `Bearer ${await this.options.tokens.get(caller)}`
    const started = performance.now()
    let response: Response
    let body: Buffer
    for (let attempt = 1; ; attempt++) {
      try {
        response = await this.doFetch(url, {
          method,
          headers,
          body: options.body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        })
        body = Buffer.from(await response.arrayBuffer())
      } catch (error) {
        const reason =
          error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : error
        throw new HttpFailure(method, url, `${method} ${url} failed: ${String(reason)}`, { cause: error })
      }
      // Rate limited: wait as told (at most 30 s) and try again, like a polite client; the limit is not under test.
      if (response.status !== 429 || attempt >= MAX_ATTEMPTS) break
      await sleep(retryAfterMs(response.headers.get('retry-after')))
    }
    const durationMs = Math.round(performance.now() - started)
    let json: unknown
    let jsonError: string | undefined
    if (body.length > 0 && /json/i.test(response.headers.get('content-type') ?? '')) {
      try {
        json = JSON.parse(body.toString('utf8'))
      } catch (error) {
        jsonError = (error as Error).message
      }
    } else if (body.length > 0) {
      jsonError = `not JSON (content-type ${response.headers.get('content-type') ?? 'absent'})`
    } else {
      jsonError = 'empty body'
    }
    return {
      method,
      url,
      caller,
      correlationId,
      status: response.status,
      headers: response.headers,
      body,
      json,
      jsonError,
      durationMs,
    }
  }
}

const MAX_EXCERPT_CHARS = 1200

function truncate(value: unknown): unknown {
  const text = JSON.stringify(value)
  if (text === undefined || text.length <= MAX_EXCERPT_CHARS) return value
  return `${text.slice(0, MAX_EXCERPT_CHARS)}… (${text.length} characters)`
}

/** The value at a JSON pointer (RFC 6901), or undefined. */
export function atPointer(value: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return value
  let current: unknown = value
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

/** Evidence of an exchange: the request, the status, chosen headers and the offending part of the body. */
export function evidenceOf(exchange: Exchange, options: { pointer?: string; note?: string } = {}): Evidence {
  const headers: Record<string, string> = {}
  for (const name of EVIDENCE_HEADERS) {
    const value = exchange.headers.get(name)
    if (value !== null) headers[name] = value
  }
  let excerpt: unknown
  if (exchange.json !== undefined) {
    excerpt = truncate(options.pointer ? atPointer(exchange.json, options.pointer) : exchange.json)
  } else if (exchange.body.length > 0) {
    const type = exchange.headers.get('content-type') ?? ''
    excerpt = /^(text|application\/(json|xml|problem))/i.test(type)
      ? truncate(exchange.body.subarray(0, 2000).toString('utf8'))
      : `(${exchange.body.length} bytes of ${type || 'unknown type'})`
  }
  return {
    request: {
      method: exchange.method,
      url: exchange.url,
      as: exchange.caller,
      correlationId: exchange.correlationId,
    },
    response: {
      status: exchange.status,
      headers,
      ...(options.pointer ? { pointer: options.pointer } : {}),
      ...(excerpt !== undefined ? { excerpt } : {}),
    },
    ...(options.note ? { note: options.note } : {}),
  }
}
