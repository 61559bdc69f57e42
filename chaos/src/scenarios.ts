import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { memoryOf, startRegistry } from '@ebox/bench'
import { SCOPES } from '@ebox/contract'
import type { IntrospectionBehaviour } from '@ebox/token-issuer'
import pg from 'pg'
import { checkInvariants, clientFigures, type Invariant } from './invariants.ts'
import {
  BOUNDS_MS,
  publicationBody,
  publish,
  Recorder,
  randomContent,
  rememberShown,
  runMixedLoad,
  type Sample,
} from './load.ts'
import type { PartitionBehaviour } from './partition-stand-in.ts'
import { type SlowConnection, slowConnection } from './slow-clients.ts'
import {
  type ChaosSystem,
  humanToken,
  mintTokens,
  PARTITION_CACHE_SECONDS,
  PARTITION_TIMEOUT_MS,
  personSsin,
} from './system.ts'

export interface ScenarioOptions {
  /** How long a fault lasts (PostgreSQL unreachable, EES down …). */
  holdSeconds: number
  log: (line: string) => void
}

export interface ScenarioResult {
  id: string
  title: string
  injected: string
  load: string
  figures: ReturnType<typeof clientFigures>
  /** From the fault's end to the first good answer (list read and readiness), without any restart. */
  recoveryMs: number | undefined
  invariants: Invariant[]
  notes: string[]
  passed: boolean
}

export interface Scenario {
  id: string
  title: string
  /**
   * Injects the fault while the load runs and lifts it; says what it did. Checks of its own (beside the common
   * invariants) go to `invariants`.
   */
  inject(
    system: ChaosSystem,
    options: ScenarioOptions,
    notes: string[],
    recorder: Recorder,
    invariants: Invariant[],
  ): Promise<string>
}

const LOAD = { publishers: 2, readers: 2, humans: 1, paceMs: 20 }
const LOAD_TEXT = `${LOAD.publishers} publishers (16 KiB letters, every 10th 1 MiB, every 5th key sent again) + ${LOAD.readers} readers (list, detail, download) + ${LOAD.humans} portal user (list, details inside and outside their partitions), ${LOAD.paceMs} ms pause between requests`

/** Runs `scenario` under the mixed load, then checks every invariant. */
export async function runScenario(
  system: ChaosSystem,
  scenario: Scenario,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  options.log(`— ${scenario.id}: ${scenario.title}`)
  const began = Date.now()
  const recorder = new Recorder()
  const stop = new AbortController()
  const load = runMixedLoad(recorder, system.target, { ...LOAD, signal: stop.signal, recoveryMs: 60_000 })
  const notes: string[] = []
  const own: Invariant[] = []
  await sleep(1_000)
  // A harness failure is the scenario's failure, not the run's: the next scenarios still run.
  const injected = await scenario.inject(system, options, notes, recorder, own).catch((error: Error) => {
    notes.push(`the injection failed: ${error.message}`)
    return 'failed to inject'
  })
  const recoveryMs = await timeToRecover(system, 60_000)
  await sleep(2_000)
  stop.abort()
  await load
  const invariants = [...(await checkInvariants(system, recorder)), ...own]
  if (recoveryMs === undefined)
    invariants.push({ name: 'recovers without restart', held: false, detail: 'no good answer within 60 s' })
  else invariants.push({ name: 'recovers without restart', held: true, detail: `${recoveryMs} ms` })
  // Not an invariant: a partial upload's staging file outlives a SIGKILL until the registry sweeps it by age.
  const staged = readdirSync(join(system.workDir, 'staging')).length
  if (staged > 0)
    notes.push(
      `${staged} staging file(s) in PUBLICATION_STAGING_DIR (swept once older than twice HTTP_REQUEST_TIMEOUT_MS)`,
    )
  const result: ScenarioResult = {
    id: scenario.id,
    title: scenario.title,
    injected,
    load: LOAD_TEXT,
    figures: clientFigures(recorder),
    recoveryMs,
    invariants,
    notes,
    passed: invariants.every((i) => i.held) && injected !== 'failed to inject',
  }
  printResult(result, options.log)
  options.log(`  ${scenario.id} took ${Math.round((Date.now() - began) / 1000)} s (invariants included)`)
  return result
}

function printResult(result: ScenarioResult, log: (line: string) => void) {
  const { figures } = result
  log(`  injected: ${result.injected}`)
  log(
    `  requests ${figures.requests}, statuses ${JSON.stringify(figures.counts)}, worst ${Math.round(figures.worstMs)} ms, recovery ${result.recoveryMs ?? '—'} ms`,
  )
  for (const note of result.notes) log(`  note: ${note}`)
  for (const invariant of result.invariants)
    log(`  ${invariant.held ? 'ok  ' : 'FAIL'} ${invariant.name}: ${invariant.detail}`)
  log(`  ${result.id}: ${result.passed ? 'PASS' : 'FAIL'}`)
}

/** Polls readiness, an application's list and a portal user's list every 100 ms until all answer 200. */
async function timeToRecover(system: ChaosSystem, boundMs: number): Promise<number | undefined> {
  const started = Date.now()
  while (Date.now() - started < boundMs) {
    const ok = async (path: string, token?: string) => {
      const response = await fetch(`${system.target.url}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(5_000),
      }).catch(() => undefined)
      await response?.arrayBuffer().catch(() => {})
      return response?.status === 200
    }
    const list = '/ebox/messages?page=1&pageSize=25'
    const { consumer, human } = system.target.tokens
    if ((await ok('/health/ready')) && (await ok(list, consumer)) && (await ok(list, human)))
      return Date.now() - started
    await sleep(100)
  }
  return undefined
}

async function asAdmin<T>(system: ChaosSystem, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: system.adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export const SCENARIOS: Scenario[] = [
  {
    id: '1a',
    title: 'PostgreSQL unreachable (TCP relay cut)',
    async inject(system, { holdSeconds }) {
      system.relay.cut()
      await sleep(holdSeconds * 1000)
      system.relay.restore()
      return `every connection to PostgreSQL reset, new ones refused, for ${holdSeconds} s`
    },
  },
  {
    id: '1b',
    title: 'PostgreSQL restarted (fast shutdown)',
    async inject(system, _options, notes) {
      const started = Date.now()
      await system.restartPostgres()
      notes.push(`PostgreSQL was down ${Date.now() - started} ms (fast shutdown, start)`)
      return 'fast shutdown (SIGINT to the postmaster, as pg_ctl stop -m fast), then start'
    },
  },
  {
    id: '2',
    title: 'Registry SIGKILLed mid-publication of a large file, restarted',
    async inject(system, _options, notes) {
      const size = 24 * 1024 * 1024
      const content = randomContent(size)
      const body = publicationBody(system.target.dataset, content)
      // 8 MiB/s: the upload is in flight for ~3 s; the kill lands in its middle.
      const trickle = () =>
        Readable.toWeb(
          Readable.from(
            (async function* () {
              for (let at = 0; at < body.length; at += 256 * 1024) {
                yield body.subarray(at, at + 256 * 1024)
                await sleep(31)
              }
            })(),
          ),
        ) as unknown as NonNullable<RequestInit['body']>
      const recorder = new Recorder()
      const upload = publish(recorder, system.target, content, {
        giveUpAt: Date.now() + 60_000,
        body: trickle,
      })
      await sleep(1_500)
      await system.killRegistry()
      const killedAt = Date.now()
      await system.startRegistry()
      notes.push(`registry back ${Date.now() - killedAt} ms after the kill (process start to ready)`)
      const publication = await upload
      notes.push(`large publication (${size / 1024 / 1024} MiB) answers: ${publication.answers.join(', ')}`)
      return `SIGKILL 1.5 s into a ${size / 1024 / 1024} MiB upload, restart on the same port; the client retries its key`
    },
  },
  {
    id: '3',
    title: 'Worker SIGKILLed mid-batch, two workers competing',
    async inject(system, _options, notes) {
      system.ees.slowMs = 1_500
      system.ees.behaviour = 'slow'
      const before = system.ees.answered.slow
      // A batch is in flight once EES has begun answering slowly.
      for (let n = 0; n < 100 && system.ees.answered.slow === before; n++) await sleep(50)
      await sleep(300)
      const pid = system.workers[0]?.pid
      await system.killWorker(0)
      notes.push(`worker 0 (pid ${pid}) killed while EES held its batch; worker 1 kept running`)
      await sleep(3_000)
      system.ees.behaviour = 'ok'
      await system.startWorker(0)
      return 'EES answering in 1.5 s, SIGKILL to one worker during a POST, restart 3 s later (lease 5 s)'
    },
  },
  {
    id: '4',
    title: 'EES down, then 500, then 429 Retry-After, then slow, then back',
    async inject(system, { holdSeconds }, notes) {
      const phases: [typeof system.ees.behaviour, number][] = [
        ['down', holdSeconds],
        ['error', Math.ceil(holdSeconds / 2)],
        ['throttle', Math.ceil(holdSeconds / 2)],
        ['slow', Math.ceil(holdSeconds / 2)],
      ]
      system.ees.slowMs = 3_000
      for (const [behaviour, seconds] of phases) {
        system.ees.behaviour = behaviour
        await sleep(seconds * 1000)
      }
      system.ees.behaviour = 'ok'
      const drained = await outboxDrainMs(system, 120_000)
      notes.push(
        `outbox drained ${drained ?? '> 120000'} ms after EES came back; EES answers ${JSON.stringify(system.ees.answered)}`,
      )
      return phases.map(([b, s]) => `${b} ${s} s`).join(', ')
    },
  },
  {
    id: '7',
    title: 'PostgreSQL refusing writes (disk full, then read-only)',
    async inject(system, { holdSeconds }) {
      // A trigger raising disk_full (SQLSTATE 53100) on every new content row: the statement error path.
      await asAdmin(system, (c) =>
        c.query(`CREATE FUNCTION chaos_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$;
                 CREATE TRIGGER chaos_disk_full BEFORE INSERT ON contents FOR EACH ROW EXECUTE FUNCTION chaos_disk_full()`),
      )
      await sleep(holdSeconds * 500)
      await asAdmin(system, (c) =>
        c.query('DROP TRIGGER chaos_disk_full ON contents; DROP FUNCTION chaos_disk_full()'),
      )
      // A demoted primary: new sessions are read-only, and the service's sessions are ended (a switchover).
      await asAdmin(system, async (c) => {
        await c.query('ALTER DATABASE ebox_chaos SET default_transaction_read_only = on')
        await c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ebox_chaos' AND pid <> pg_backend_pid()`,
        )
      })
      await sleep(holdSeconds * 500)
      await asAdmin(system, async (c) => {
        // This session is read-only too (it began after the ALTER): lift that first.
        await c.query('SET default_transaction_read_only = off')
        await c.query('ALTER DATABASE ebox_chaos RESET default_transaction_read_only')
        await c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ebox_chaos' AND pid <> pg_backend_pid()`,
        )
      })
      return `disk_full (53100) on content inserts for ${holdSeconds / 2} s, then the database read-only (25006) with sessions terminated for ${holdSeconds / 2} s`
    },
  },
  {
    id: '5',
    title: 'Authorisation server: JWKS rotated (jwt), introspection down then slow (introspection)',
    async inject(system, { holdSeconds }, notes, recorder) {
      // jwt: a new signing key, the old one withdrawn; callers get new tokens, the service must fetch the JWKS.
      const oldKid = system.issuer.kid
      await system.issuer.rotateKeys({ keepPrevious: false })
      system.target.tokens = await mintTokens(system)
      notes.push(
        `JWKS rotated ${oldKid} → ${system.issuer.kid}, previous key withdrawn, new tokens from then on`,
      )
      // introspection: a second registry on the same database; every probe carries a token it has never seen.
      const introspecting = await startRegistry({
        databaseUrl: system.serviceDatabaseUrl,
        issuer: system.issuer,
        mode: 'introspection',
        logDir: join(system.workDir, 'logs'),
        keepLog: true,
        env: { PUBLICATION_STAGING_DIR: join(system.workDir, 'staging'), INTROSPECTION_TIMEOUT_MS: '2000' },
      })
      try {
        const probe = async () => {
          const token = await system.issuer.mint({
            scopes: [SCOPES.documentConsumer],
            cbe: system.dataset.publicationEbox,
            clientId: 'chaos-portal',
          })
          await recorder.exchange(
            'probe',
            `${introspecting.url}/ebox/messages?page=1&pageSize=25`,
            { headers: { authorization: `Bearer ${token}` } },
            BOUNDS_MS.read,
          )
        }
        const phases: [IntrospectionBehaviour, number][] = [
          ['down', holdSeconds],
          ['slow', Math.ceil(holdSeconds / 2)],
          ['normal', 2],
        ]
        for (const [behaviour, seconds] of phases) {
          system.issuer.setIntrospectionBehaviour(behaviour, 4_000)
          const from = recorder.samples.length
          const until = Date.now() + seconds * 1000
          while (Date.now() < until) await probe()
          const seen = statusCounts(recorder.samples.slice(from).filter((sample) => sample.op === 'probe'))
          notes.push(
            `introspection ${behaviour} ${seconds} s: fresh-token lists answered ${JSON.stringify(seen)}`,
          )
        }
      } finally {
        system.issuer.setIntrospectionBehaviour('normal')
        await introspecting.stop()
      }
      return `JWKS rotation (old key removed); introspection down ${holdSeconds} s then slow (4 s > 2 s timeout) ${Math.ceil(holdSeconds / 2)} s, fresh tokens`
    },
  },
  {
    id: '6',
    title: 'Partition service down, then 500, then slow, while portal users list',
    async inject(system, { holdSeconds }, notes, recorder, invariants) {
      const { partitions } = system
      partitions.slowMs = PARTITION_TIMEOUT_MS * 2
      // The load's portal user holds fetched rights before the fault (as a user active for a while would).
      for (
        let n = 0;
        n < 600 && !recorder.samples.some((s) => s.op === 'human-list' && s.status === 200);
        n++
      )
        await sleep(100)
      const phases: [PartitionBehaviour, number][] = [
        ['down', holdSeconds],
        ['error', Math.ceil(holdSeconds / 2)],
        ['slow', Math.ceil(holdSeconds / 2)],
      ]
      // A portal user never seen before: the registry holds no rights for them and must ask the service.
      let people = 1
      const newUserList = async () => {
        const token = await humanToken(system, personSsin(people++))
        const { sample } = await recorder.exchange(
          'probe',
          `${system.target.url}/ebox/messages?page=1&pageSize=25`,
          { headers: { authorization: `Bearer ${token}` } },
          BOUNDS_MS.read,
          rememberShown(recorder),
        )
        return sample
      }
      const faultFrom = recorder.now()
      const duringFault: Sample[] = []
      for (const [behaviour, seconds] of phases) {
        partitions.behaviour = behaviour
        const from = recorder.now()
        const until = Date.now() + seconds * 1000
        const probes: Sample[] = []
        while (Date.now() < until) {
          probes.push(await newUserList())
          await sleep(100)
        }
        duringFault.push(...probes)
        const phase = recorder.samples.filter((s) => s.at >= from)
        notes.push(
          `Partition service ${behaviour} ${seconds} s: new users' lists ${JSON.stringify(statusCounts(probes))}; the load's portal user ${JSON.stringify(statusCounts(phase.filter(isPortalUser)))}; organisations ${JSON.stringify(statusCounts(phase.filter(isOrganisation)))}`,
        )
      }
      const faultTo = recorder.now()
      partitions.behaviour = 'up'
      const back = Date.now()
      let recoveredMs: number | undefined
      while (recoveredMs === undefined && Date.now() - back < 60_000) {
        if ((await newUserList()).status === 200) recoveredMs = Date.now() - back
        else await sleep(100)
      }
      notes.push(
        `Partition service answers by behaviour ${JSON.stringify(partitions.answered)}; rights cached ${PARTITION_CACHE_SECONDS} s (PARTITION_SERVICE_CACHE_SECONDS), timeout ${PARTITION_TIMEOUT_MS} ms`,
      )
      const refused = duringFault.filter((s) => !(s.status === 503 && s.retryAfter))
      invariants.push({
        name: 'portal users whose rights cannot be fetched get 503 with Retry-After',
        held: duringFault.length > 0 && refused.length === 0,
        detail: `${duringFault.length - refused.length} of ${duringFault.length} new users' lists during the fault${refused.length ? `; the others ${JSON.stringify(statusCounts(refused))}` : ''}`,
      })
      const organisations = recorder.samples.filter(
        (s) => s.at >= faultFrom && s.at < faultTo && isOrganisation(s),
      )
      const failed = organisations.filter((s) => s.status !== 200 && s.status !== 201 && s.status !== 409)
      invariants.push({
        name: 'organisations (applications) keep working during the fault',
        held: failed.length === 0,
        detail: `${organisations.length - failed.length} of ${organisations.length} answered 200/201/409${failed.length ? `; the others ${JSON.stringify(statusCounts(failed))}` : ''}`,
      })
      invariants.push({
        name: "a new portal user's list answers 200 once the service is back",
        held: recoveredMs !== undefined,
        detail: `${recoveredMs ?? '> 60000'} ms`,
      })
      return `${phases.map(([b, s]) => `${b} ${s} s`).join(', ')} (slow = ${partitions.slowMs} ms > the registry's ${PARTITION_TIMEOUT_MS} ms timeout); a new portal user's list every 100 ms`
    },
  },
  {
    id: '8',
    title: 'Slow clients: slowloris headers, 1 byte/s body, a 50 MB download never read',
    async inject(system, { holdSeconds }, notes) {
      const holdMs = Math.max(holdSeconds, 95) * 1000
      const bigReader = await system.issuer.mint({
        scopes: [SCOPES.documentConsumer],
        cbe: system.dataset.bigEbox,
        clientId: 'chaos-portal',
        expiresIn: 3600,
      })
      const downloadPath = `/ebox/messages/${system.dataset.downloadMessageIds[1]}/attachments/1/content`
      const before = (await memoryOf(system.registry.pid)).rssBytes
      const kinds: SlowConnection['kind'][] = [
        ...Array<SlowConnection['kind']>(20).fill('slowloris'),
        ...Array<SlowConnection['kind']>(2).fill('trickle-body'),
        ...Array<SlowConnection['kind']>(3).fill('unread-download'),
      ]
      let peak = before
      const watching = setInterval(() => {
        memoryOf(system.registry.pid)
          .then((m) => {
            peak = Math.max(peak, m.rssBytes)
          })
          .catch(() => {})
      }, 1_000)
      const ended = await Promise.all(
        kinds.map((kind) =>
          slowConnection(system.target.url, kind, {
            holdMs,
            token: kind === 'unread-download' ? bigReader : system.target.tokens.publisher,
            downloadPath,
          }),
        ),
      )
      clearInterval(watching)
      for (const kind of new Set(kinds)) {
        const mine = ended.filter((e) => e.kind === kind)
        const closed = mine.filter((e) => e.closedAfterMs !== undefined).map((e) => e.closedAfterMs!)
        notes.push(
          `${mine.length} × ${kind}: ${closed.length} closed by the server (after ${closed.length ? `${Math.round(Math.min(...closed) / 1000)}–${Math.round(Math.max(...closed) / 1000)} s` : '—'}), answers ${JSON.stringify([...new Set(mine.map((e) => e.answer ?? 'none'))])}, received ${Math.round(Math.max(...mine.map((e) => e.receivedBytes)) / 1024)} KiB at most`,
        )
      }
      notes.push(
        `registry RSS ${(before / 1048576).toFixed(0)} MiB before, ${(peak / 1048576).toFixed(0)} MiB at peak while the slow connections were open`,
      )
      return `20 slowloris connections (a header byte per second), 2 publication bodies at 1 byte/s, 3 unread ${Math.round(system.dataset.spec.downloadBytes[1] / 1048576)} MiB downloads, held up to ${holdMs / 1000} s`
    },
  },
]

const isPortalUser = (s: Sample) => s.op === 'human-list' || s.op === 'human-detail'
const isOrganisation = (s: Sample) =>
  s.op === 'list' || s.op === 'detail' || s.op === 'download' || s.op === 'publish' || s.op === 'replay'

function statusCounts(samples: { status: unknown }[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const sample of samples) counts[String(sample.status)] = (counts[String(sample.status)] ?? 0) + 1
  return counts
}

/** Milliseconds until no newDocument is pending in the outbox. */
async function outboxDrainMs(system: ChaosSystem, boundMs: number): Promise<number | undefined> {
  const started = Date.now()
  return asAdmin(system, async (c) => {
    while (Date.now() - started < boundMs) {
      const { rows } = await c.query<{ n: string }>(
        "SELECT count(*) AS n FROM outbox_events WHERE status = 'pending' AND event_type = 'newDocument'",
      )
      if (Number(rows[0]?.n) === 0) return Date.now() - started
      await sleep(200)
    }
    return undefined
  })
}
