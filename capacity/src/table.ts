import { firstBottleneck, type Headroom, headrooms } from './limits.ts'
import { type Sizing, size } from './model.ts'
import type { Platform, Workload } from './schema.ts'
import type { UnitCosts } from './unit-costs.ts'

const number = (value: number) =>
  value === 0
    ? '0'
    : value < 10
      ? value.toFixed(value < 1 ? 3 : 2).replace(/\.?0+$/, '')
      : Math.round(value).toLocaleString('en')

const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
/** Decimal bytes (kB = 1,000 B), as storage is sold. */
export function bytes(value: number): string {
  let i = 0
  let v = value
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

const perSecond = (value: number) => `${number(value)}/s`

function sizingRows(s: Sizing, w: Workload): [string, string, string][] {
  const p = s.peak
  return [
    [
      'Peak requests',
      `${perSecond(p.lists)} lists, ${perSecond(p.details)} details, ${perSecond(p.referenceData)} reference data, ${perSecond(p.downloads)} downloads, ${perSecond(p.searches)} searches, ${perSecond(p.publications)} publications`,
      'per day ÷ 86,400 × peak factor (× federation call replicas for portal calls)',
    ],
    [
      'API pods (CPU request, memory request / limit)',
      `${s.api.podsAtPeak} at peak, ${s.api.podsAtMean} at the mean (${number(s.api.cpuRequestCores * 1000)}m, ${s.api.memoryRequestMiB}Mi / ${s.api.memoryLimitMiB}Mi)`,
      `service CPU ${number(s.api.coresAtPeak)} cores at peak ÷ (request × target utilisation)`,
    ],
    [
      'Worker pods',
      `${s.workers.pods}`,
      `${perSecond(s.ees.eventsPerSecond)} events ÷ ${number(s.workers.eventsPerSecondPerPod)}/s per pod`,
    ],
    [
      'PostgreSQL vCPU',
      `${s.postgres.vcpu}`,
      `backend CPU ${number(s.postgres.coresAtPeak)} cores at peak ÷ target utilisation`,
    ],
    ['PostgreSQL IOPS', number(s.postgres.iops), 'commits/s + 2 × WAL bytes/s ÷ page size'],
    ['WAL at peak', `${bytes(s.postgres.walBytesPerSecond)}/s`, 'WAL per publication and per audited read'],
    [
      'Storage growth per year',
      `rows ${bytes(s.storagePerYear.rows)}, indexes ${bytes(s.storagePerYear.indexes)}, audit ${bytes(s.storagePerYear.audit)}, WAL ${bytes(s.storagePerYear.wal)}`,
      'messages, attachments, outbox events and audit records × measured bytes per row',
    ],
    [
      `Database after ${w.retentionYears} years`,
      bytes(s.storageAtRetention.database),
      w.contentStore === 'postgres' ? 'rows + indexes + audit + contents' : 'rows + indexes + audit',
    ],
    [
      'Object storage',
      w.contentStore === 'postgres'
        ? 'none: contents in PostgreSQL'
        : `${bytes(s.objectStorage.bytes)} after ${w.retentionYears} years (${bytes(s.storagePerYear.contents)}/year), ${perSecond(s.objectStorage.putsPerSecond)} PUT, ${perSecond(s.objectStorage.getsPerSecond)} GET at peak`,
      `attachments × mean size ${bytes(s.meanAttachmentBytes)}`,
    ],
    [
      'Connections',
      `${s.connections.configured} of ${s.connections.budget} (${number(s.api.connectionsBusyPerPod)} busy per API pod at peak)`,
      'pods × (pool + LISTEN) + workers × pool + reserved; busy = rate × (PostgreSQL CPU + round trips)',
    ],
    ['EES events', perSecond(s.ees.eventsPerSecond), 'one event per publication'],
    ['Egress at peak', `${bytes(s.network.egressBytesPerSecond)}/s`, 'downloads × mean attachment size'],
  ]
}

function limitValue(row: Headroom): string {
  return row.unit === 'B/s'
    ? `${bytes(row.required)}/s of ${bytes(row.limit)}/s`
    : `${number(row.required)} of ${number(row.limit)} ${row.unit}`
}

function headroomRows(rows: Headroom[]): string[] {
  return rows.map(
    (row) =>
      `| ${row.resource} | ${limitValue(row)} | ${Number.isFinite(row.headroom) ? `×${number(row.headroom)}` : '–'} | ${row.firstHitAt === undefined ? 'beyond ×100' : row.firstHitAt === 1 ? '**already**' : `×${row.firstHitAt}`} | ${row.reason} |`,
  )
}

/** The sizing table and the headroom table of a workload, in Markdown (printed and pasted into docs/capacity.md). */
export function report(w: Workload, u: UnitCosts, p: Platform): string {
  const s = size(w, u, p)
  const rows = headrooms(w, u, p)
  const first = firstBottleneck(rows)
  return [
    `### ${w.name}: ${w.enterprises.toLocaleString('en')} enterprises, ${w.citizens.toLocaleString('en')} citizens, ${number(w.publication.messagesPerDay)} messages/day`,
    '',
    '| Sizing | Value | From |',
    '|---|---|---|',
    ...sizingRows(s, w).map((cells) => `| ${cells.join(' | ')} |`),
    '',
    '| Resource | Required / limit | Headroom | First hit | Reason |',
    '|---|---|--:|---|---|',
    ...headroomRows(rows),
    '',
    `First bottleneck: **${first.resource}** (headroom ×${number(first.headroom)}): ${first.reason}.`,
  ].join('\n')
}
