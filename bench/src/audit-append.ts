/**
 * `pnpm --filter @ebox/bench audit-append [--duration S] [--writers 1,4] [--rounds 3] [--hold-ms 0,5]`
 *
 * Audit appends per second with 1 and 4 concurrent writers (each its own pool and connection, one record per
 * transaction: the `auditInTransaction` case, where the lock is held until COMMIT), for the sharded chain of
 * migration 0011 and, in the same run as the baseline, the single-head chain it replaced (migration 0011's down
 * part applied to a second database: every append locks the one audit_chain_head row). Prints a Markdown table
 * (median of --rounds rounds, alternating which design goes first). --hold-ms 0,5: transactions that commit right
 * after the append, and ones held 5 ms longer.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createIsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import {
  type AuditEntry,
  appendAudit,
  createPool,
  inTransaction,
  migrateUp,
  verifyAuditChain,
} from '@ebox/registry'
import { repositoryRoot, withClient } from './database.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    writers: { type: 'string', default: '1,4' },
    rounds: { type: 'string', default: '3' },
    'hold-ms': { type: 'string', default: '0,5' },
  },
})
const durationMs = Number(values.duration) * 1000
const writerCounts = values.writers.split(',').map(Number)
const rounds = Number(values.rounds)
const holds = values['hold-ms'].split(',').map(Number)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const entry = (writer: number, n: number): AuditEntry => ({
  occurredAt: new Date().toISOString().replace('Z', '000Z'),
  tokenHash: 'a'.repeat(64),
  clientId: `bench-${writer}`,
  method: 'GET',
  url: `/ebox/messages/${writer}-${n}`,
  status: 200,
  details: { messageId: `${writer}-${n}` },
  correlationId: `bench-${writer}-${n}`,
})

/**
 * Appends from `writers` pools at once for the duration; returns appends per second. `holdMs` > 0 keeps each
 * transaction open that long after its append (work after the audit record, or the commit round trip to a
 * synchronous standby in PRD), as the lock on the head is held until COMMIT.
 */
async function measure(url: string, writers: number, holdMs: number): Promise<number> {
  const pools = Array.from({ length: writers }, () =>
    createPool({ connectionString: url, max: 1, statementTimeoutMs: 60_000 }),
  )
  try {
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')))
    const started = performance.now()
    const until = started + durationMs
    const counts = await Promise.all(
      pools.map(async (pool, writer) => {
        let n = 0
        while (performance.now() < until) {
          if (holdMs === 0) {
            await appendAudit(pool, [entry(writer, n++)])
            continue
          }
          await inTransaction(pool, async (client) => {
            await appendAudit(client, [entry(writer, n++)])
            await client.query('SELECT pg_sleep($1)', [holdMs / 1000])
          })
        }
        return n
      }),
    )
    const seconds = (performance.now() - started) / 1000
    return counts.reduce((sum, count) => sum + count, 0) / seconds
  } finally {
    await Promise.all(pools.map((pool) => pool.end()))
  }
}

async function main() {
  const adminUrl = process.env.DATABASE_URL ?? testAdminUrl()
  const sharded = await createIsolatedDatabase(adminUrl, { prefix: 'bench_audit_sharded' })
  const single = await createIsolatedDatabase(adminUrl, { prefix: 'bench_audit_single' })
  try {
    await migrateUp(sharded.url)
    await migrateUp(single.url)
    // The baseline: the single-head audit_append of migration 0005, restored by 0011's down part.
    const migration = readFileSync(
      join(repositoryRoot, 'apps/registry/migrations/0011_audit_chain_shards.sql'),
      'utf8',
    )
    const down = migration.split('-- Down Migration')[1] ?? ''
    await withClient(single.url, (client) => client.query(down))
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
    // Rounds alternate which design goes first, and the median of the rounds is reported: the machine's load
    // drifts during a run.
    const results: string[] = []
    for (const holdMs of holds)
      for (const writers of writerCounts) {
        const rates = { single: [] as number[], sharded: [] as number[] }
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? (['single', 'sharded'] as const) : (['sharded', 'single'] as const)
          for (const design of order) {
            rates[design].push(await measure(design === 'single' ? single.url : sharded.url, writers, holdMs))
          }
        }
        const singleRate = median(rates.single)
        const shardedRate = median(rates.sharded)
        results.push(
          `| ${holdMs} | ${writers} | ${Math.round(singleRate)} | ${Math.round(shardedRate)} | ${(shardedRate / singleRate).toFixed(2)} |`,
        )
        console.error(
          `hold ${holdMs} ms, ${writers} writer(s): single head ${rates.single.map(Math.round).join(', ')}/s; sharded ${rates.sharded.map(Math.round).join(', ')}/s`,
        )
      }
    // The figures count only if the chain the writers built is whole.
    const check = createPool({ connectionString: sharded.url, max: 1, statementTimeoutMs: 120_000 })
    const verdict = await verifyAuditChain(check).finally(() => check.end())
    if (!verdict.ok) throw new Error(`sharded chain broken after the run: ${verdict.reason}`)
    console.log(
      `load average before the run: ${load}; ${durationMs / 1000} s per measurement, median of ${rounds} rounds`,
    )
    console.log(
      '| held after append (ms) | writers | single head (appends/s) | 16 shards (appends/s) | sharded / single |',
    )
    console.log('|---:|---:|---:|---:|---:|')
    for (const line of results) console.log(line)
  } finally {
    await sharded.drop()
    await single.drop()
  }
}

await main()
