import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Publication, Recorder } from './load.ts'
import type { ChaosSystem } from './system.ts'

export interface Invariant {
  name: string
  held: boolean
  detail: string
}

/** What clients saw: status counts, the worst latency, 503s without Retry-After, requests past their bound. */
export function clientFigures(recorder: Recorder) {
  const counts: Record<string, number> = {}
  let worstMs = 0
  for (const sample of recorder.samples) {
    counts[String(sample.status)] = (counts[String(sample.status)] ?? 0) + 1
    worstMs = Math.max(worstMs, sample.ms)
  }
  const failing = recorder.samples.filter(
    (s) => typeof s.status === 'number' && s.status >= 500 && !(s.status === 503 && s.retryAfter),
  )
  const serverErrors = failing.length
  const serverErrorsByOp: Record<string, number> = {}
  for (const sample of failing) serverErrorsByOp[sample.op] = (serverErrorsByOp[sample.op] ?? 0) + 1
  const hung = recorder.samples.filter((s) => s.status === 'timeout').length
  return { requests: recorder.samples.length, counts, worstMs, serverErrors, serverErrorsByOp, hung }
}

/**
 * The promises a Document Provider makes, checked after a scenario from the outside (API, EES stand-in) and in
 * the database (direct connection): see issue 20.
 */
export async function checkInvariants(
  system: ChaosSystem,
  recorder: Recorder,
  options: { eesWaitMs?: number } = {},
): Promise<Invariant[]> {
  const figures = clientFigures(recorder)
  const invariants: Invariant[] = [
    {
      name: 'no 500 (a 503 carries Retry-After)',
      held: figures.serverErrors === 0,
      detail: `${figures.serverErrors} of ${figures.requests}${figures.serverErrors ? ` ${JSON.stringify(figures.serverErrorsByOp)}` : ''}`,
    },
    {
      name: 'no request past its bound',
      held: figures.hung === 0,
      detail: `${figures.hung} hung; worst ${Math.round(figures.worstMs)} ms`,
    },
  ]
  const client = new pg.Client({ connectionString: system.adminUrl })
  await client.connect()
  try {
    invariants.push(await publicationsStoredOnce(client, system, recorder.publications))
    invariants.push(replaysAnswered(recorder))
    invariants.push(await eventsDelivered(client, system, recorder.publications, options.eesWaitMs ?? 60_000))
    invariants.push(await noOrphanedContent(client))
    invariants.push(await humanSawOnlyTheirPartitions(client, system, recorder))
  } finally {
    await client.end()
  }
  const audit = await system.cli(['audit', 'verify'])
  invariants.push({
    name: 'audit chain verifies',
    held: audit === 0,
    detail: `registry audit verify → ${audit}`,
  })
  return invariants
}

/** Every key answered 201 is one message, readable byte-identical; no key is ever two messages. */
async function publicationsStoredOnce(
  client: pg.Client,
  system: ChaosSystem,
  publications: Publication[],
): Promise<Invariant> {
  const problems: string[] = []
  let stored = 0
  let unanswered = 0
  for (const publication of publications) {
    const { rows } = await client.query<{ message_id: string }>(
      'SELECT message_id FROM messages WHERE idempotency_key = $1',
      [publication.key],
    )
    const answered201 = publication.messageIds.size > 0
    if (publication.messageIds.size > 1) problems.push(`${publication.key}: two 201s with different messages`)
    if (rows.length > 1) problems.push(`${publication.key}: ${rows.length} messages`)
    if (answered201 && rows.length === 0) problems.push(`${publication.key}: 201 but not stored`)
    if (answered201 && rows[0] && !publication.messageIds.has(rows[0].message_id))
      problems.push(`${publication.key}: 201 named another message`)
    if (!answered201 && !publication.answers.includes(409)) unanswered++
    const row = rows[0]
    if (!row) continue
    stored++
    const digest = await downloadDigest(system, row.message_id)
    if (digest !== publication.sha256) problems.push(`${publication.key}: content differs (${digest})`)
  }
  return {
    name: 'every 201 stored exactly once, byte-identical',
    held: problems.length === 0,
    detail:
      problems.slice(0, 3).join('; ') ||
      `${stored} stored of ${publications.length} sent (${unanswered} given up by the client)`,
  }
}

async function downloadDigest(system: ChaosSystem, messageId: string): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(`${system.target.url}/ebox/messages/${messageId}/attachments/1/content`, {
      headers: { authorization: `Bearer ${system.target.tokens.consumer}` },
    }).catch(() => undefined)
    if (response?.status === 200)
      return createHash('sha256')
        .update(Buffer.from(await response.arrayBuffer()))
        .digest('hex')
    await response?.arrayBuffer()
    await sleep(500)
  }
  return 'unreadable'
}

/** A key sent again after its 201 answers 201 or 409 (a 503 during a fault), never a second message. */
function replaysAnswered(recorder: Recorder): Invariant {
  const replays = recorder.samples.filter((s) => s.op === 'replay')
  const wrong = replays.filter((s) => s.status !== 201 && s.status !== 409 && s.status !== 503)
  const byStatus: Record<string, number> = {}
  for (const replay of replays) byStatus[String(replay.status)] = (byStatus[String(replay.status)] ?? 0) + 1
  return {
    name: 'a retried key answers 201 or 409',
    held: wrong.length === 0,
    detail: `${replays.length} replays: ${JSON.stringify(byStatus)}`,
  }
}

/** Every stored message's newDocument reaches EES at least once, always under its one event id. */
async function eventsDelivered(
  client: pg.Client,
  system: ChaosSystem,
  publications: Publication[],
  waitMs: number,
): Promise<Invariant> {
  const keys = publications.map((p) => p.key)
  const deadline = Date.now() + waitMs
  let events: { event_id: string; message_id: string; status: string }[] = []
  while (true) {
    ;({ rows: events } = await client.query(
      `SELECT o.event_id, o.message_id, o.status FROM outbox_events o JOIN messages m USING (message_id)
        WHERE m.idempotency_key = ANY($1) AND o.event_type = 'newDocument'`,
      [keys],
    ))
    const missing = events.filter((e) => !system.ees.received.has(e.event_id))
    if (missing.length === 0 || Date.now() > deadline) break
    await sleep(500)
  }
  const missing = events.filter((e) => !system.ees.received.has(e.event_id))
  const mine = new Set(events.map((e) => e.message_id))
  const idsPerMessage = new Map<string, Set<string>>()
  let duplicates = 0
  for (const [eventId, seen] of system.ees.received) {
    if (!seen.messageId || !mine.has(seen.messageId) || seen.eventType !== 'newDocument') continue
    idsPerMessage.set(seen.messageId, (idsPerMessage.get(seen.messageId) ?? new Set()).add(eventId))
    duplicates += seen.times - 1
  }
  const split = [...idsPerMessage.values()].filter((ids) => ids.size > 1).length
  return {
    name: 'every stored message reaches EES, duplicates under one event id',
    held: missing.length === 0 && split === 0,
    detail: `${events.length - missing.length}/${events.length} delivered, ${duplicates} duplicate deliveries, ${split} messages under two ids`,
  }
}

/** No content without an attachment naming it (a publication cut short must leave nothing behind). */
async function noOrphanedContent(client: pg.Client): Promise<Invariant> {
  const { rows } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM contents c WHERE NOT EXISTS (SELECT 1 FROM attachments a WHERE a.content_id = c.content_id)`,
  )
  const orphans = Number(rows[0]?.n)
  return {
    name: 'no orphaned content',
    held: orphans === 0,
    detail: `${orphans} contents rows without attachment`,
  }
}

/**
 * A portal user is shown only messages of their e-Box inside the partitions the Partition service grants them:
 * never an unscoped (widened) list, whatever failed. Checked in the database for every id they were shown.
 */
async function humanSawOnlyTheirPartitions(
  client: pg.Client,
  system: ChaosSystem,
  recorder: Recorder,
): Promise<Invariant> {
  const { human } = system.target
  const seen = [...recorder.humanSeen]
  const { rows } = await client.query<{ message_id: string; partition_id: string }>(
    `SELECT message_id, partition_id FROM messages
     WHERE message_id = ANY($1::uuid[])
       AND NOT (recipient_type = 'enterprise' AND recipient_id = $2 AND partition_id = ANY($3::text[]))`,
    [seen, human.ebox, human.partitions],
  )
  const outsideDetails = recorder.samples.filter((s) => s.op === 'human-detail' && s.outside)
  const answers: Record<string, number> = {}
  for (const sample of outsideDetails)
    answers[String(sample.status)] = (answers[String(sample.status)] ?? 0) + 1
  return {
    name: 'a portal user sees only their partitions',
    held: rows.length === 0,
    detail:
      rows.length === 0
        ? `${seen.length} messages shown, all in ${human.partitions.join(', ')}; details outside answered ${JSON.stringify(answers)}`
        : `${rows.length} shown outside: ${rows
            .slice(0, 3)
            .map((r) => `${r.message_id} (${r.partition_id})`)
            .join(', ')}`,
  }
}
