import pg from 'pg'

export type Pool = pg.Pool

export interface PoolOptions {
  connectionString: string
  max: number
  statementTimeoutMs: number
  applicationName?: string
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
    connectionTimeoutMillis: 5_000,
    application_name: options.applicationName ?? 'ebox-registry',
  })
  pool.on('error', (error) => options.onError?.(error))
  return pool
}

/** Runs `work` in a transaction on one client; rolls back on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
