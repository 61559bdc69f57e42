import type { FastifyBaseLogger } from 'fastify'
import pg from 'pg'

export interface ChannelListenerOptions {
  connectionString: string
  channel: string
  /** Shown in pg_stat_activity, so that operators (and tests) can tell this session from the pool's. */
  applicationName: string
  log: Pick<FastifyBaseLogger, 'info' | 'warn'>
  /** LISTEN is in place (at start and after each reconnection): every notification from now on arrives. */
  onUp: () => void
  /** The connection is lost: notifications may be missed until the next `onUp`. */
  onDown: () => void
  onNotification: (payload: string | undefined) => void
  /** Reconnection back-off: first delay, doubled per failure up to the last; each with jitter. */
  retryMs?: { first: number; max: number }
  /** A `SELECT 1` this often, so that a connection that died silently is noticed (TCP alone may take minutes). */
  pingIntervalMs?: number
}

export interface ChannelListener {
  readonly up: boolean
  close(): Promise<void>
}

/**
 * One dedicated connection (not from the pool: a pooled client is handed to other work) that LISTENs on a
 * channel and reconnects with back-off whenever it is lost. Its timers are unref'd: it never keeps the process
 * alive; `close()` ends the connection.
 */
export function startChannelListener(options: ChannelListenerOptions): ChannelListener {
  const { first, max } = options.retryMs ?? { first: 1_000, max: 30_000 }
  const pingIntervalMs = options.pingIntervalMs ?? 30_000
  let client: pg.Client | undefined
  let up = false
  let closed = false
  let delay = first
  let failures = 0
  let retry: NodeJS.Timeout | undefined
  let ping: NodeJS.Timeout | undefined

  const lost = (current: pg.Client, error?: unknown) => {
    if (client !== current) return
    client = undefined
    clearInterval(ping)
    // Not awaited: a dead connection has nothing to say; end() destroys its socket.
    current.end().catch(() => {})
    const wasUp = up
    up = false
    if (wasUp) options.onDown()
    if (closed) return
    failures++
    // Jitter keeps the replicas from reconnecting in step after a database restart.
    const wait = Math.round(delay * (0.5 + Math.random() / 2))
    delay = Math.min(delay * 2, max)
    options.log.warn(
      { err: error, channel: options.channel, failures, retryInMs: wait },
      wasUp ? 'LISTEN connection lost; retrying' : 'LISTEN connection failed; retrying',
    )
    retry = setTimeout(connect, wait)
    retry.unref()
  }

  const connect = async () => {
    retry = undefined
    if (closed) return
    const current = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
      keepAlive: true,
    })
    client = current
    // Kept for the client's whole life: an 'error' without a listener would end the process.
    current.on('error', (error) => lost(current, error))
    current.on('end', () => lost(current, new Error('connection ended')))
    current.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload)
    })
    try {
      await current.connect()
      await current.query(`LISTEN ${pg.escapeIdentifier(options.channel)}`)
    } catch (error) {
      lost(current, error)
      return
    }
    if (client !== current) return
    up = true
    delay = first
    options.onUp()
    options.log.info(
      { channel: options.channel, afterFailures: failures },
      failures ? 'LISTEN connection back' : 'LISTEN connection up',
    )
    failures = 0
    ping = setInterval(() => {
      current.query('SELECT 1').catch((error: unknown) => lost(current, error))
    }, pingIntervalMs)
    ping.unref()
  }

  void connect()
  return {
    get up() {
      return up
    },
    async close() {
      closed = true
      clearTimeout(retry)
      clearInterval(ping)
      const current = client
      client = undefined
      up = false
      // Also stops an attempt in progress (whose connect() then never settles: pg's way when end() comes first).
      await current?.end().catch(() => {})
    },
  }
}
