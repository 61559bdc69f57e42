import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback reverse proxy that counts the requests it forwards: lets a test see how often the registry calls
 * the authorisation server (JWKS fetches, introspection calls) without touching the registry's code.
 */
export interface CountingProxy {
  /** `target` with its origin replaced by the proxy's. */
  readonly url: string
  count(): number
  reset(): void
  /** `down`: connections are destroyed unanswered; `slow`: answers after `delayMs`. */
  setBehaviour(behaviour: 'normal' | 'down' | 'slow', delayMs?: number): void
  close(): Promise<void>
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const targetUrl = new URL(target)
  let requests = 0
  let behaviour: 'normal' | 'down' | 'slow' = 'normal'
  let delayMs = 0
  const server = createServer((req, res) => {
    void forward(req, res).catch(() => req.socket.destroy())
  })
  async function forward(req: IncomingMessage, res: ServerResponse) {
    requests += 1
    if (behaviour === 'down') {
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (behaviour === 'slow') await new Promise((resolve) => setTimeout(resolve, delayMs))
    if (req.socket.destroyed) return
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value
    }
    try {
      const response = await fetch(new URL(req.url ?? '/', targetUrl.origin), {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      })
      const body = Buffer.from(await response.arrayBuffer())
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'text/plain' })
      res.end(body)
    } catch {
      req.socket.destroy()
    }
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const url = new URL(target)
  url.host = `127.0.0.1:${port}`
  return {
    url: url.toString(),
    count: () => requests,
    reset: () => {
      requests = 0
    },
    setBehaviour(next, nextDelayMs = 5000) {
      behaviour = next
      delayMs = nextDelayMs
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
