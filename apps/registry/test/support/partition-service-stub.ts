import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RoutingRule } from '../../src/federation/partition-service.ts'

/**
 * A stand-in for the federation's Partition service v1 on loopback, speaking the paths the registry's client
 * uses. Callers must present a Bearer token that `authorize` accepts (the local issuer's introspection).
 */
export interface PartitionServiceStub {
  readonly url: string
  setRoutingRules(enterpriseNumber: string, rules: RoutingRule[]): void
  setUserPartitions(enterpriseNumber: string, ssin: string, partitions: string[]): void
  /** `operation` as sent on the wire: `publish`, or the profile's FEDERATION_CONSULT_MANDATE_OPERATION. */
  grantMandate(enterpriseNumber: string, mandatary: string, operation: string): void
  /** `down`: connections are destroyed; `slow`: answers after `slowMs`; `error`: 500. */
  setBehaviour(behaviour: 'normal' | 'down' | 'slow' | 'error', slowMs?: number): void
  /** Requests received (method and path with query), oldest first. */
  readonly requests: string[]
  close(): Promise<void>
}

export async function startPartitionServiceStub(
  authorize: (token: string) => boolean,
): Promise<PartitionServiceStub> {
  const rules = new Map<string, RoutingRule[]>()
  const rights = new Map<string, string[]>()
  const mandates = new Set<string>()
  const requests: string[] = []
  let behaviour: 'normal' | 'down' | 'slow' | 'error' = 'normal'
  let slowMs = 2000
  const timers = new Set<NodeJS.Timeout>()

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (res.headersSent || res.destroyed) return
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(body === undefined ? '' : JSON.stringify(body))
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://stub')
    requests.push(`${req.method} ${url.pathname}${url.search}`)
    if (behaviour === 'down') {
      req.socket.destroy()
      return
    }
    if (behaviour === 'slow') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, slowMs)
        timers.add(timer)
      })
    }
    if (behaviour === 'error') return send(res, 500, { error: 'server_error' })
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
    if (!token || !authorize(token)) return send(res, 401, { error: 'invalid_token' })
    let match = /^\/ebox\/(\d{10})\/routingRules$/.exec(url.pathname)
    if (req.method === 'GET' && match) return send(res, 200, { items: rules.get(match[1]!) ?? [] })
    match = /^\/ebox\/(\d{10})\/users\/(\d{11})\/partitions$/.exec(url.pathname)
    if (req.method === 'GET' && match) {
      const partitions = rights.get(`${match[1]}|${match[2]}`) ?? []
      return send(res, 200, { items: partitions.map((partitionId) => ({ partitionId })) })
    }
    match = /^\/ebox\/(\d{10})\/hasMandate$/.exec(url.pathname)
    if (req.method === 'GET' && match) {
      const mandatary = url.searchParams.get('mandataryEnterpriseNumber')
      const operation = url.searchParams.get('operation')
      return send(res, 200, { hasMandate: mandates.has(`${match[1]}|${mandatary}|${operation}`) })
    }
    return send(res, 404, { error: 'not_found' })
  }

  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setRoutingRules: (enterpriseNumber, list) => rules.set(enterpriseNumber, list),
    setUserPartitions: (enterpriseNumber, ssin, partitions) =>
      rights.set(`${enterpriseNumber}|${ssin}`, partitions),
    grantMandate: (enterpriseNumber, mandatary, operation) =>
      mandates.add(`${enterpriseNumber}|${mandatary}|${operation}`),
    setBehaviour(next, nextSlowMs) {
      behaviour = next
      slowMs = nextSlowMs ?? 2000
    },
    async close() {
      for (const timer of timers) clearTimeout(timer)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
