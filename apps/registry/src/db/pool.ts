import pg from 'pg'

export type Pool = pg.Pool

export interface PoolOptions {
  connectionString: string
  max: number
  statementTimeoutMs: number
  applicationName?: string
  /** How long a checkout may wait for a connection (default 5 s). */
  connectionTimeoutMs?: number
  onError?: (error: Error) => void
}

/**
 * The connection pool. Every session gets a statement timeout so that no query can hold a connection forever,
 * and idle-client errors (a restarted or killed server) are reported instead of crashing the process.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    application_name: options.applicationName ?? 'ebox-registry',
  })
  pool.on('error', (error) => options.onError?.(error))
  return pool
}

/**
 * Runs `work` in a transaction on one client; rolls back on any error. A checked-out client has no error
 * listener of the pool's: a connection lost while `work` waits (an upload streaming in, a remote call; e.g.
 * idle_in_transaction_session_timeout) would be an uncaught 'error' and end the process. One is kept here while
 * the client is ours; such a loss is what the call rejects with, and the broken client leaves the pool.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  let lost: Error | undefined
  const onError = (error: Error) => {
    lost ??= error
  }
  client.on('error', onError)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    const failure = lost ?? error
    await client.query('ROLLBACK').catch(() => {})
    throw failure
  } finally {
    client.release(lost)
    client.removeListener('error', onError)
  }
}

/** What a repository function runs its statements on: the pool, or the client of an open transaction. */
export type Queryable = pg.Pool | pg.PoolClient

/** The cheapest round trip: readiness checks that the database answers. */
export async function ping(db: Queryable): Promise<void> {
  await db.query('SELECT 1')
}
