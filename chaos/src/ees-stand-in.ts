import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * `ok` accepts (202); `down` drops the connection unanswered; `error` answers 500; `throttle` answers 429 with
 * Retry-After; `slow` accepts after `slowMs` (the worker may give up first: EES then holds an event the worker
 * will send again, which is what at-least-once allows).
 */
export type EesBehaviour = 'ok' | 'down' | 'error' | 'throttle' | 'slow'

/** The e-Box Event Service as the worker sees it, with every event it accepted. */
export interface EesStandIn {
  url: string
  behaviour: EesBehaviour
  slowMs: number
  /** eventCorrelationId → the messageId and event types received under it, once per acceptance. */
  readonly received: Map<string, { messageId: string | undefined; eventType: string; times: number }>
  /** Requests by what they were answered. */
  readonly answered: Record<EesBehaviour, number>
  close(): Promise<void>
}

export async function startEesStandIn(): Promise<EesStandIn> {
  const received: EesStandIn['received'] = new Map()
  const answered: Record<EesBehaviour, number> = { ok: 0, down: 0, error: 0, throttle: 0, slow: 0 }
  const state = { behaviour: 'ok' as EesBehaviour, slowMs: 5_000 }

  const accept = (events: unknown) => {
    if (!Array.isArray(events)) return
    for (const event of events as { eventCorrelationId?: string; messageId?: string; eventType?: string }[]) {
      if (!event.eventCorrelationId) continue
      const seen = received.get(event.eventCorrelationId)
      if (seen) seen.times++
      else
        received.set(event.eventCorrelationId, {
          messageId: event.messageId,
          eventType: String(event.eventType),
          times: 1,
        })
    }
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const behaviour = state.behaviour
    answered[behaviour]++
    if (behaviour === 'down') {
      request.socket.resetAndDestroy()
      return
    }
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    if (behaviour === 'error') return response.writeHead(500).end('{"error":"stand-in failure"}')
    if (behaviour === 'throttle') return response.writeHead(429, { 'retry-after': '2' }).end()
    let events: unknown
    try {
      events = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return response.writeHead(400).end()
    }
    accept(events)
    if (behaviour === 'slow') await new Promise((resolve) => setTimeout(resolve, state.slowMs))
    if (!response.destroyed) response.writeHead(202).end()
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/events`,
    get behaviour() {
      return state.behaviour
    },
    set behaviour(value) {
      state.behaviour = value
    },
    get slowMs() {
      return state.slowMs
    },
    set slowMs(value) {
      state.slowMs = value
    },
    received,
    answered,
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
