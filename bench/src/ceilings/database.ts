import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { type Measurement, percentiles } from '../load.ts'
import { type CapturedStatement, decodeValue } from '../service/captured.ts'

/** Statements of a request that the ceiling does not replay, and why. */
const NOT_REPLAYED = [
  // The audit trail is written by a group-commit writer, one statement for many requests, not per request.
  /audit_append/,
]

type Step =
  | { kind: 'parallel'; statements: CapturedStatement[] }
  | { kind: 'transaction'; statements: CapturedStatement[] }

/**
 * The statements of one request as steps: statements that overlapped in time ran concurrently on different
 * connections (one step, replayed with Promise.all); BEGIN … COMMIT ran on one connection (one step).
 */
export function replayPlan(statements: CapturedStatement[]): Step[] {
  const kept = statements
    .filter((s) => !NOT_REPLAYED.some((pattern) => pattern.test(s.text)))
    .sort((a, b) => a.startedAt - b.startedAt)
  const steps: Step[] = []
  let transaction: CapturedStatement[] | undefined
  for (const statement of kept) {
    const verb = statement.text.trim().toUpperCase()
    if (transaction) {
      transaction.push(statement)
      if (verb === 'COMMIT' || verb === 'ROLLBACK') {
        steps.push({ kind: 'transaction', statements: transaction })
        transaction = undefined
      }
      continue
    }
    if (verb === 'BEGIN') {
      transaction = [statement]
      continue
    }
    const last = steps[steps.length - 1]
    const overlaps =
      last?.kind === 'parallel' &&
      last.statements.some((s) => Number.isNaN(s.endedAt) || statement.startedAt < s.endedAt)
    if (overlaps) last.statements.push(statement)
    else steps.push({ kind: 'parallel', statements: [statement] })
  }
  if (transaction) steps.push({ kind: 'transaction', statements: transaction })
  return steps
}

/** A COPY … TO STDOUT, read to its end on a connection of its own (as the service's content reads do). */
async function copyOut(pool: pg.Pool, text: string): Promise<void> {
  const client = await pool.connect()
  try {
    for await (const _ of client.query(copyTo(text))) {
      // drained
    }
  } finally {
    client.release()
  }
}

/**
 * A COPY … FROM STDIN sent again on `client`, with every UUID the replay already renamed also renamed where it
 * appears in binary (content_chunks rows carry their content id as 16 bytes).
 */
async function copyIn(
  client: pg.PoolClient,
  statement: CapturedStatement,
  fresh: Map<string, string> | undefined,
) {
  const data = Buffer.from(statement.copyIn ?? '', 'base64')
  for (const [original, renamed] of fresh ?? []) {
    const from = Buffer.from(original.replaceAll('-', ''), 'hex')
    const to = Buffer.from(renamed.replaceAll('-', ''), 'hex')
    for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + to.length)) to.copy(data, at)
  }
  await pipeline(Readable.from([data]), client.query(copyFrom(statement.text)))
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

/** Parameters of one replay; for writes every UUID is replaced by a fresh one (consistently) so keys stay unique. */
function parameters(statement: CapturedStatement, fresh: Map<string, string> | undefined): unknown[] {
  const values = statement.values.map(decodeValue)
  if (!fresh) return values
  const remap = (value: unknown): unknown => {
    if (typeof value === 'string')
      return value.replace(UUID, (id) => {
        const key = id.toLowerCase()
        let next = fresh.get(key)
        if (!next) {
          next = randomUUID()
          fresh.set(key, next)
        }
        return next
      })
    if (Array.isArray(value)) return value.map(remap)
    return value
  }
  return values.map(remap)
}

/**
 * Database ceiling: the SQL one request of the scenario ran (captured from the service), replayed with `pg` at the
 * same concurrency and through a pool of the same size, for the same duration. What is left is PostgreSQL, the
 * driver and row parsing: no HTTP, no authentication, no serialisation.
 */
export async function runDatabaseCeiling(options: {
  databaseUrl: string
  statements: CapturedStatement[]
  connections: number
  poolMax: number
  durationSeconds: number
  /** Replays write: fresh UUIDs per replay. */
  write?: boolean
}): Promise<Measurement & { statementsPerRequest: number }> {
  const plan = replayPlan(options.statements)
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolMax })
  pool.on('error', () => {})
  const latencies: number[] = []
  let errors = 0
  const deadline = performance.now() + options.durationSeconds * 1000
  const once = async () => {
    const fresh = options.write ? new Map<string, string>() : undefined
    for (const step of plan) {
      if (step.kind === 'parallel') {
        await Promise.all(
          step.statements.map((s) =>
            s.copy
              ? copyOut(pool, s.text)
              : pool.query({
                  text: s.text,
                  values: parameters(s, fresh),
                  ...(s.name ? { name: s.name } : {}),
                }),
          ),
        )
      } else {
        const client = await pool.connect()
        try {
          for (const s of step.statements) {
            if (s.copyIn !== undefined) await copyIn(client, s, fresh)
            else await client.query({ text: s.text, values: parameters(s, fresh) })
          }
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {})
          throw error
        } finally {
          client.release()
        }
      }
    }
  }
  const started = performance.now()
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        try {
          await once()
          latencies.push(performance.now() - t0)
        } catch {
          errors++
        }
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  await pool.end()
  return {
    requests: latencies.length,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: percentiles(latencies),
    errors,
    statementsPerRequest: plan.reduce((n, step) => n + step.statements.length, 0),
  }
}
