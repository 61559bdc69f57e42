import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DEFAULT_FEDERATION_PROFILE } from '@ebox/contract'

/**
 * `up` answers; `down` resets the connection unanswered; `error` answers 500; `slow` answers after `slowMs`
 * (past the registry's PARTITION_SERVICE_TIMEOUT_MS, so the registry gives up first).
 */
export type PartitionBehaviour = 'up' | 'down' | 'error' | 'slow'

/**
 * The federation's Partition service as the registry calls it (its own token, checked by `authorize`): a user's
 * partitions on the profile's user-rights path, routing rules (none: publications go to GENERAL), mandates (none).
 */
export interface PartitionStandIn {
  url: string
  behaviour: PartitionBehaviour
  slowMs: number
  /** The partitions every user of `enterpriseNumber` is granted (one set for all its users). */
  grant(enterpriseNumber: string, partitions: readonly string[]): void
  /** Requests by what they were answered. */
  readonly answered: Record<PartitionBehaviour, number>
  close(): Promise<void>
}

/** The profile's user-rights path (`/ebox/{enterpriseNumber}/users/{ssin}/partitions` by default) as a pattern. */
const RIGHTS_PATH = new RegExp(
  `^${DEFAULT_FEDERATION_PROFILE.paths.userRights.replace('{enterpriseNumber}', '(\\d{10})').replace('{ssin}', '\\d{11}')}$`,
)

export async function startPartitionStandIn(
  authorize: (token: string) => boolean,
): Promise<PartitionStandIn> {
  const rights = new Map<string, readonly string[]>()
  const answered: Record<PartitionBehaviour, number> = { up: 0, down: 0, error: 0, slow: 0 }
  // Plain fields a scenario sets; the server reads them per request. url and close once it listens.
  const standIn: PartitionStandIn = {
    url: '',
    behaviour: 'up',
    slowMs: 5_000,
    grant: (enterpriseNumber, partitions) => rights.set(enterpriseNumber, [...partitions]),
    answered,
    close: async () => {},
  }

  const send = (response: ServerResponse, status: number, body: unknown) => {
    if (!response.destroyed)
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const behaviour = standIn.behaviour
    answered[behaviour]++
    if (behaviour === 'down') return request.socket.resetAndDestroy()
    if (behaviour === 'error') return send(response, 500, { error: 'stand-in failure' })
    if (behaviour === 'slow') await new Promise((resolve) => setTimeout(resolve, standIn.slowMs))
    const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1]
    if (!token || !authorize(token)) return send(response, 401, { error: 'invalid_token' })
    const { pathname } = new URL(request.url ?? '/', 'http://stand-in')
    const user = RIGHTS_PATH.exec(pathname)
    if (user) {
      const partitions = rights.get(user[1]!) ?? []
      return send(response, 200, { items: partitions.map((partitionId) => ({ partitionId })) })
    }
    if (/^\/ebox\/\d{10}\/routingRules$/.test(pathname)) return send(response, 200, { items: [] })
    if (/^\/ebox\/\d{10}\/hasMandate$/.test(pathname)) return send(response, 200, { hasMandate: false })
    return send(response, 404, { error: 'not_found' })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  standIn.url = `http://127.0.0.1:${port}`
  standIn.close = () => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  }
  return standIn
}
