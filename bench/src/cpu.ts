import { readFile } from 'node:fs/promises'
import type pg from 'pg'

/**
 * CPU time spent by the service and by PostgreSQL during a measurement, so that each scenario says where its
 * time goes (Linux /proc; user + system time, in clock ticks of 10 ms).
 */
const TICK_MS = 10

/** User + system CPU time of a process so far, in ms; 0 when it is gone. */
export async function cpuTimeOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return Number.isFinite(ticks) ? ticks * TICK_MS : 0
}

/** CPU time so far of every PostgreSQL backend connected to `database`, by pid. */
export async function backendCpuTimes(client: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  )
  const times = await Promise.all(rows.map(async ({ pid }) => [pid, await cpuTimeOf(pid)] as const))
  return new Map(times)
}

/**
 * CPU ms that the backends of `database` spent between two snapshots. Backends that appeared in between count
 * from zero; backends that ended in between are lost (the service's pool is warm by then, so there are none).
 */
export function backendCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let spent = 0
  for (const [pid, time] of after) spent += time - (before.get(pid) ?? 0)
  return spent
}
