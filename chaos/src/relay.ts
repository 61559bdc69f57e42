import { createConnection, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP relay between the service and PostgreSQL that the harness can cut: the network path, not the server,
 * fails. `cut()` resets every open connection and every new one until `restore()`; the server never notices.
 */
export interface TcpRelay {
  port: number
  /** Connections open now (both directions count once). */
  readonly open: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const pairs = new Set<[Socket, Socket]>()
  let cut = false
  const server: Server = createServer((inbound) => {
    if (cut) {
      inbound.resetAndDestroy()
      return
    }
    const outbound = createConnection(target)
    const pair: [Socket, Socket] = [inbound, outbound]
    pairs.add(pair)
    const drop = () => {
      pairs.delete(pair)
      inbound.destroy()
      outbound.destroy()
    }
    inbound.on('error', drop).on('close', drop)
    outbound.on('error', drop).on('close', drop)
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('relay: no port')
  return {
    port: address.port,
    get open() {
      return pairs.size
    },
    cut() {
      cut = true
      // A reset, as a dropped route or a restarted load balancer gives: both ends see ECONNRESET.
      for (const [inbound, outbound] of pairs) {
        inbound.resetAndDestroy()
        outbound.resetAndDestroy()
      }
      pairs.clear()
    },
    restore() {
      cut = false
    },
    close() {
      for (const [inbound, outbound] of pairs) {
        inbound.destroy()
        outbound.destroy()
      }
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
