import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { FuzzCase } from './generate.ts'

/** What the run answered, kept to compare with what the database holds afterwards. */
export interface RunLedger {
  /** Message ids the service answered 201 for. */
  published: Set<string>
  /** Per X-Correlation-Id sent: the method and the status answered, and the case when it is small. */
  answers: Map<string, { method: string; status: number; fuzzCase?: FuzzCase }>
}

export const newLedger = (): RunLedger => ({ published: new Set(), answers: new Map() })

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** An audit record may exist for a read that succeeded (2xx, 304), or a write not certain to have failed. */
function auditable(method: string, status: number): boolean {
  if (WRITE_METHODS.has(method)) return status < 400 || status >= 500
  return status >= 200 && status < 400
}

/**
 * After a run: no message or attachment outside the demo data set and the accepted publications; no audit record
 * of a refused call, and the status of each of our calls' records equal to the status answered; the audit chain
 * intact by `registry audit verify`. Returns the problems found.
 */
export interface DatabaseProblem {
  problem: string
  /** The request that caused it, when the ledger kept it. */
  fuzzCase?: FuzzCase
}

export async function checkDatabase(
  databaseUrl: string,
  demoMessageIds: ReadonlySet<string>,
  ledger: RunLedger,
): Promise<DatabaseProblem[]> {
  const problems: DatabaseProblem[] = []
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const known = (id: string) => demoMessageIds.has(id) || ledger.published.has(id)
    const messages = await client.query<{ message_id: string }>('SELECT message_id FROM messages')
    for (const { message_id } of messages.rows)
      if (!known(message_id))
        problems.push({ problem: `message ${message_id} exists but no publication was accepted for it` })
    const attachments = await client.query<{ message_id: string }>(
      'SELECT DISTINCT message_id FROM attachments',
    )
    for (const { message_id } of attachments.rows)
      if (!known(message_id))
        problems.push({ problem: `attachments of ${message_id}, a message no publication created` })
    const audit = await client.query<{ method: string; status: number; correlation_id: string | null }>(
      'SELECT method, status, correlation_id FROM audit_records',
    )
    for (const record of audit.rows) {
      const answer = record.correlation_id ? ledger.answers.get(record.correlation_id) : undefined
      if (!auditable(record.method, record.status))
        problems.push({
          problem: `audit record of a refused call: ${record.method} ${record.status} (${record.correlation_id})`,
          fuzzCase: answer?.fuzzCase,
        })
      if (answer && answer.status !== record.status)
        problems.push({
          problem: `audit record ${record.correlation_id} says ${record.status}, the caller was answered ${answer.status}`,
          fuzzCase: answer.fuzzCase,
        })
    }
  } finally {
    await client.end()
  }
  const verify = auditVerify(databaseUrl)
  if (verify) problems.push({ problem: verify })
  return problems
}

const REGISTRY_DIR = fileURLToPath(new URL('../../../apps/registry', import.meta.url))

/** `registry audit verify`, the operators' command, run against the run's database. */
function auditVerify(databaseUrl: string): string | undefined {
  const run = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'src/main.ts', 'audit', 'verify'],
    { cwd: REGISTRY_DIR, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8' },
  )
  if (run.status === 0) return undefined
  return `registry audit verify exited with ${run.status}: ${(run.stdout + run.stderr).trim()}`
}
