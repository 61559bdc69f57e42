import type { TableStorage } from '@ebox/capacity'
import type pg from 'pg'

/**
 * Size of every table of the registry's schema (partitions folded into their parent): rows, heap, TOAST and
 * indexes. The capacity model turns them into bytes per message, attachment and audit record.
 */
export async function measureStorage(client: pg.Client): Promise<TableStorage[]> {
  await client.query('ANALYZE')
  const { rows } = await client.query<{
    name: string
    rows: string
    heap: string
    toast: string
    indexes: string
  }>(
    `SELECT coalesce(parent.relname, c.relname) AS name,
            sum(greatest(c.reltuples, 0))::bigint AS rows,
            sum(pg_relation_size(c.oid))::bigint AS heap,
            sum(coalesce(pg_total_relation_size(c.reltoastrelid), 0))::bigint AS toast,
            sum(pg_indexes_size(c.oid))::bigint AS indexes
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
       LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
       LEFT JOIN pg_class parent ON parent.oid = i.inhparent
      WHERE c.relkind = 'r'
      GROUP BY 1
      ORDER BY 1`,
  )
  return rows.map((row) => ({
    name: row.name,
    rows: Number(row.rows),
    heapBytes: Number(row.heap),
    toastBytes: Number(row.toast),
    indexBytes: Number(row.indexes),
  }))
}

/** The cluster's current WAL position in bytes (WAL of every database: read it on a quiet server). */
export async function walPosition(client: pg.Client): Promise<bigint> {
  const { rows } = await client.query<{ lsn: string }>(
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS lsn",
  )
  return BigInt(rows[0]!.lsn.split('.')[0]!)
}
