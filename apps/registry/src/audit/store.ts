import type pg from 'pg'
import { type AuditEntry, auditBody, canonicalize } from './chain.ts'

type Queryable = Pick<pg.ClientBase, 'query'> | Pick<pg.Pool, 'query'>

/**
 * Appends entries to the audit chain (one round trip; `audit_append` in migration 0011 locks one of the 16 shard
 * heads — its backend's, or any free one — inserts, moves that head). Called inside a write's own transaction, the
 * records exist exactly when the write does — call it as the LAST statement before COMMIT: the shard stays locked
 * until the transaction ends, and other appends use the other shards meanwhile.
 */
export async function appendAudit(db: Queryable, entries: readonly AuditEntry[]): Promise<number> {
  if (entries.length === 0) return 0
  const rows = entries.map((entry) => {
    const details = canonicalize(entry.details) as Record<string, unknown>
    const normalised = { ...entry, details }
    return { ...normalised, body: auditBody(normalised) }
  })
  const { rows: result } = await db.query<{ seq: string }>('SELECT audit_append($1::jsonb) AS seq', [
    JSON.stringify(rows),
  ])
  return Number(result[0]?.seq)
}

export interface AuditWriterOptions {
  /** Entries written in one statement at most. */
  maxBatch?: number
}

/**
 * Writes audit records outside any request transaction with group commit: entries that arrive while a batch is
 * being written wait and go together in the next one, so a shard head is locked once per batch, not once per
 * request. `write` resolves when the entry is committed and rejects when it could not be written.
 */
export class AuditWriter {
  private readonly queue: { entry: AuditEntry; resolve: () => void; reject: (error: unknown) => void }[] = []
  private flushing: Promise<void> | undefined
  private readonly maxBatch: number

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    options: AuditWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200
  }

  write(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject })
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined
      })
    })
  }

  /** Resolves when every entry written so far is committed or has failed. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      try {
        await appendAudit(
          this.pool,
          batch.map((item) => item.entry),
        )
        for (const item of batch) item.resolve()
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error)
          continue
        }
        // One bad entry must not fail its neighbours: retry each alone.
        for (const item of batch) {
          await appendAudit(this.pool, [item.entry]).then(item.resolve, item.reject)
        }
      }
    }
  }
}
