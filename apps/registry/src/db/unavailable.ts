/**
 * Errors that mean PostgreSQL cannot serve right now rather than that the request is wrong: the server restarts,
 * fails over (a switchover terminates every session; a demoted primary refuses writes), is unreachable, has no
 * connection left, or has run out of disk or memory. The API answers them 503 with Retry-After, so clients retry instead of reporting a failure.
 */
const UNAVAILABLE_SQLSTATES = new Set([
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '25006', // read_only_sql_transaction: the session reached a primary that has just been demoted
  '53000', // insufficient_resources
  '53100', // disk_full: writes fail until space is freed; reads go on
  '53200', // out_of_memory
  '53300', // too_many_connections
  '57P01', // admin_shutdown: fast shutdown, switchover
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, recovering
])
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
])
/** node-postgres reports a lost or timed-out connection without a code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
]

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false
    const { code, message, cause } = current as { code?: unknown; message?: unknown; cause?: unknown }
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code)))
      return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message)))
      return true
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner)))
      return true
    current = cause
  }
  return false
}

/** Seconds a client waits before retrying: a CloudNativePG switchover usually completes within a few. */
export const DATABASE_RETRY_AFTER_SECONDS = 2
