import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * - `ok`: accepts a batch (201), or answers 409 without accepting anything when an event of it was accepted before;
 * - `fail`: 503;
 * - `hang`: reads the request and never answers;
 * - `lose-answer`: accepts the batch, then never answers (the worker cannot know it arrived);
 * - `down`: not listening at all (connection refused) — see `stop()`/`start()`.
 */
/** `busy`: 429 with `Retry-After: 30` (EES asking us to slow down). */
export type EesBehaviour = 'ok' | 'fail' | 'busy' | 'hang' | 'lose-answer'

export interface ReceivedEvent {
  eventCorrelationId: string
  eventType: string
  messageId: string
  [key: string]: unknown
}

export interface EesStub {
  url: string
  /** Every event of every request, in arrival order, repeats included. */
  received: ReceivedEvent[]
  /** Events accepted, by correlation id (each at most once). */
  accepted: Map<string, ReceivedEvent>
  /** Authorization headers seen. */
  authorizations: string[]
  requests: number
  behaviour: EesBehaviour
  /** Delay before answering in `ok`/`fail` (ms). */
  delayMs: number
  /** Resolves once `requests` reaches n. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>
  /** Stops listening (connection refused) and cuts hanging requests. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): Promise<void>
  close(): Promise<void>
}

/**
 * A stand-in for the e-Box Event Service v2 on loopback: a JSON array of events per POST, Bearer token checked
 * by `tokenIsValid` (401 otherwise), idempotency by eventCorrelationId as EES v1 documents it (409).
 */
export async function startEesStub(
  options: { tokenIsValid?: (token: string) => boolean; path?: string } = {},
): Promise<EesStub> {
  const path = options.path ?? '/EventServices/Ebox/v2/enterprise/document/events'
  const sockets = new Set<Socket>()
  const waiters: { n: number; resolve: () => void }[] = []
  let port = 0
  let server: Server | undefined

  const stub: EesStub = {
    url: '',
    received: [],
    accepted: new Map(),
    authorizations: [],
    requests: 0,
    behaviour: 'ok',
    delayMs: 0,
    waitForRequests(n, timeoutMs = 10_000) {
      if (stub.requests >= n) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`EES stub: ${stub.requests} of ${n} requests`)),
          timeoutMs,
        )
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
      })
    },
    async stop() {
      if (!server) return
      const closing = server
      server = undefined
      await new Promise<void>((resolve) => {
        closing.close(() => resolve())
        closing.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
    },
    async start() {
      if (server) return
      server = createServer((request, response) => void handle(request, response))
      server.on('connection', (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      await new Promise<void>((resolve, reject) => {
        server?.once('error', reject)
        server?.listen(port, '127.0.0.1', () => resolve())
      })
      port = (server.address() as AddressInfo).port
      stub.url = `http://127.0.0.1:${port}${path}`
    },
    close: () => stub.stop(),
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    stub.requests++
    for (const waiter of waiters.filter((w) => stub.requests >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1)
      waiter.resolve()
    }
    const reply = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      const send = () =>
        response
          .writeHead(status, { 'content-type': 'application/json', ...headers })
          .end(JSON.stringify(body ?? {}))
      if (stub.delayMs > 0) setTimeout(send, stub.delayMs)
      else send()
    }
    if (request.method !== 'POST' || request.url !== path) return reply(404, { error: 'not found' })
    const authorization = request.headers.authorization ?? ''
    stub.authorizations.push(authorization)
    const token = /^Bearer (.+)$/.exec(authorization)?.[1]
    if (!token || (options.tokenIsValid && !options.tokenIsValid(token)))
      return reply(401, { error: 'invalid_token' })
    let events: ReceivedEvent[]
    try {
      events = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      if (!Array.isArray(events)) throw new Error('not an array')
    } catch {
      return reply(400, { error: 'body must be a JSON array of events' })
    }
    stub.received.push(...events)
    switch (stub.behaviour) {
      case 'fail':
        return reply(503, { error: 'unavailable' })
      case 'busy':
        return reply(429, { error: 'too many requests' }, { 'retry-after': '30' })
      case 'hang':
        return
      case 'lose-answer':
        for (const event of events) stub.accepted.set(event.eventCorrelationId, event)
        return
      case 'ok':
        if (events.some((event) => stub.accepted.has(event.eventCorrelationId))) {
          return reply(409, { error: 'idempotency violation' })
        }
        for (const event of events) stub.accepted.set(event.eventCorrelationId, event)
        return reply(201)
    }
  }

  await stub.start()
  return stub
}
