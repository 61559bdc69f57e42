import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { ConfigError } from '../config.ts'
import { createPool } from '../db/pool.ts'
import { exportAudit, parseBound } from './export.ts'
import { verifyAuditChain } from './verify.ts'

const USAGE = 'usage: registry audit verify | registry audit export --from DATE --to DATE [--out FILE]'

export interface AuditCommandIo {
  out: Writable
  err: Writable
}

/**
 * `registry audit verify`: walks the chain; exit 0 when intact, 1 naming the first broken record.
 * `registry audit export --from --to [--out]`: the records of calls in [from, to) as JSON lines (stdout or FILE).
 * Returns the exit code.
 */
export async function auditCommand(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  io: AuditCommandIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const [action, ...rest] = args
  if (action !== 'verify' && action !== 'export') {
    io.err.write(`${USAGE}\n`)
    return 2
  }
  const databaseUrl = env.DATABASE_URL?.trim()
  if (!databaseUrl) throw new ConfigError(['DATABASE_URL is required'])
  const pool = createPool({ connectionString: databaseUrl, max: 2, statementTimeoutMs: 120_000 })
  try {
    if (action === 'verify') {
      const result = await verifyAuditChain(pool)
      if (!result.ok) {
        io.out.write(`audit chain BROKEN at record seq ${result.brokenSeq}: ${result.reason}\n`)
        return 1
      }
      const span = result.records ? ` in ${result.shards} shard(s)` : ''
      const anchor = result.anchored ? '; older records archived, the first one present is trusted' : ''
      io.out.write(
        `audit chain intact: ${result.records} records${span}, ${result.anchors} anchors${anchor}\n`,
      )
      return 0
    }
    const options = parseOptions(rest)
    const from = await parseBound(pool, 'from', options.from)
    const to = await parseBound(pool, 'to', options.to)
    if (from >= to) throw new Error('--from must be before --to')
    const target = options.out ? createWriteStream(options.out, { flags: 'wx', mode: 0o600 }) : io.out
    const count = await exportAudit(pool, { from, to }, async (line) => {
      if (!target.write(`${line}\n`)) await once(target, 'drain')
    })
    if (options.out) {
      target.end()
      await once(target, 'finish')
    }
    io.err.write(`exported ${count} audit records\n`)
    return 0
  } finally {
    await pool.end()
  }
}

function parseOptions(args: string[]): Record<string, string | undefined> {
  const options: Record<string, string | undefined> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    const match = /^--(from|to|out)(?:=(.*))?$/.exec(arg)
    if (!match?.[1]) throw new Error(`unknown argument "${arg}"; ${USAGE}`)
    options[match[1]] = match[2] ?? args[++i]
  }
  return options
}
