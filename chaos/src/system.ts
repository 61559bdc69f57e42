import type { ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import {
  AUDIENCE,
  type Dataset,
  generateDataset,
  type OAuthMode,
  type RegistryProcess,
  registryServeArgs,
  SMOKE_SPEC,
  spawnNode,
  startRegistry,
  stopChild,
} from '@ebox/bench'
import { SCOPES } from '@ebox/contract'
import { freePort, type RunningPostgres, startEmbeddedPostgres, withDatabase } from '@ebox/dev-postgres'
import { migrateUp } from '@ebox/registry'
import { createClientCredentials, startTokenIssuer, type TokenIssuer } from '@ebox/token-issuer'
import { exportPKCS8 } from 'jose'
import pg from 'pg'
import { type EesStandIn, startEesStandIn } from './ees-stand-in.ts'
import type { HumanUser, Target } from './load.ts'
import { type PartitionStandIn, startPartitionStandIn } from './partition-stand-in.ts'
import { startTcpRelay, type TcpRelay } from './relay.ts'

const WORKER_CLIENT_ID = 'ebox-dp-chaos-worker'
const EES_SCOPE = 'scope:ees'
const DATABASE = 'ebox_chaos'
/** What the Partition service grants the portal users of the big e-Box (it also holds GENERAL and legal). */
const HUMAN_PARTITIONS = ['accounting', 'hr']
/** The registry gives the Partition service this long (the stand-in's `slow` answers later). */
export const PARTITION_TIMEOUT_MS = 2_000
/** How long the registry uses a user's fetched rights: shorter than a fault, so that they run out within it. */
export const PARTITION_CACHE_SECONDS = 20

/** A valid SSIN (born in January 1980, day and serial from `n`): a distinct person for every n below 27,916. */
export function personSsin(n: number): string {
  const day = String((Math.floor(n / 997) % 28) + 1).padStart(2, '0')
  const base = `8001${day}${String((n % 997) + 1).padStart(3, '0')}`
  return `${base}${String(97 - (Number(base) % 97)).padStart(2, '0')}`
}

/**
 * Everything a scenario breaks, each a process or server of its own: a private PostgreSQL (embedded, so that
 * restarting it never touches the machine's shared server), a TCP relay in front of it through which the service
 * and the workers connect, the local token issuer, an EES stand-in, a Partition service stand-in, the registry
 * (built, `node dist/main.js serve`) and two workers (`registry worker`).
 */
export interface ChaosSystem {
  workDir: string
  dataset: Dataset
  issuer: TokenIssuer
  ees: EesStandIn
  partitions: PartitionStandIn
  relay: TcpRelay
  /** Superuser connection to the service's database, direct (not through the relay). */
  adminUrl: string
  target: Target
  /** The service's connection string: through the relay. */
  serviceDatabaseUrl: string
  registry: RegistryProcess
  /** The registry's Prometheus endpoint. */
  metricsUrl: string
  workers: (ChildProcess | undefined)[]
  restartPostgres(): Promise<void>
  killRegistry(): Promise<void>
  startRegistry(): Promise<void>
  killWorker(index: number): Promise<void>
  startWorker(index: number): Promise<void>
  /** Runs `node dist/main.js <args>` against the service's database; its exit code. */
  cli(args: string[]): Promise<number>
  stop(): Promise<void>
}

export interface SystemOptions {
  mode?: OAuthMode
  /** Size of the big download the slow reader leaves unread (scenario 8). */
  bigDownloadBytes?: number
  log?: (line: string) => void
}

export async function startChaosSystem(options: SystemOptions = {}): Promise<ChaosSystem> {
  // What has started so far, stopped in reverse when a later step fails (no stray PostgreSQL or registry).
  const started: (() => Promise<unknown>)[] = []
  try {
    return await assemble(options, started)
  } catch (error) {
    for (const stop of started.reverse()) await stop().catch(() => {})
    throw error
  }
}

async function assemble(options: SystemOptions, started: (() => Promise<unknown>)[]): Promise<ChaosSystem> {
  const log = options.log ?? (() => {})
  // Under /tmp with o+x: embedded PostgreSQL runs as the `postgres` user when the harness runs as root.
  const workDir = mkdtempSync('/tmp/ebox-chaos-')
  chmodSync(workDir, 0o755)
  const logDir = join(workDir, 'logs')
  mkdirSync(logDir)
  const pgPort = await freePort()
  const pgOptions = { dataDir: join(workDir, 'pg'), port: pgPort, persistent: true }
  started.push(async () => rmSync(workDir, { recursive: true, force: true }))
  let postgres: RunningPostgres = await startEmbeddedPostgres(pgOptions)
  started.push(() => postgres.stop())
  log(`private PostgreSQL on 127.0.0.1:${pgPort} (${workDir}/pg)`)
  const admin = new pg.Client({ connectionString: postgres.url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${DATABASE}`)
  await admin.end()
  const adminUrl = withDatabase(postgres.url, DATABASE)
  await migrateUp(adminUrl)
  const dataset = await generateDataset(adminUrl, {
    ...SMOKE_SPEC,
    messages: 300,
    bigEboxMessages: 200,
    downloadBytes: [64 * 1024, options.bigDownloadBytes ?? 4 * 1024 * 1024],
    now: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(),
  })

  const relay = await startTcpRelay({ host: '127.0.0.1', port: pgPort })
  const serviceUrl = new URL(adminUrl)
  serviceUrl.port = String(relay.port)
  started.push(() => relay.close())
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  started.push(() => issuer.close())
  const ees = await startEesStandIn()
  started.push(() => ees.close())
  const partitions = await startPartitionStandIn((token) => issuer.introspect(token).active)
  partitions.grant(dataset.bigEbox, HUMAN_PARTITIONS)
  started.push(() => partitions.close())
  const human = await humanUserOf(adminUrl, dataset.bigEbox)
  const mode = options.mode ?? 'jwt'

  const port = await freePort()
  const metricsPort = await freePort()
  const registryEnv = {
    METRICS_PORT: String(metricsPort),
    PUBLICATION_STAGING_DIR: join(workDir, 'staging'),
    // The fault windows are seconds long: a statement stuck behind a cut connection gives up sooner.
    DB_STATEMENT_TIMEOUT_MS: '10000',
    PARTITION_SERVICE_URL: partitions.url,
    PARTITION_SERVICE_TIMEOUT_MS: String(PARTITION_TIMEOUT_MS),
    PARTITION_SERVICE_CACHE_SECONDS: String(PARTITION_CACHE_SECONDS),
  }
  const launchRegistry = () =>
    startRegistry({
      databaseUrl: serviceUrl.toString(),
      issuer,
      mode,
      logDir,
      poolMax: 10,
      port,
      keepLog: true,
      env: registryEnv,
    })
  let registry = await launchRegistry()
  started.push(() => registry.stop())
  log(`registry (${mode}) on ${registry.url}, pid ${registry.pid}`)

  const workerClient = await createClientCredentials(WORKER_CLIENT_ID)
  await issuer.registerClient(WORKER_CLIENT_ID, workerClient.publicJwk, { scopes: [EES_SCOPE] })
  const workerKey = await exportPKCS8(workerClient.privateKey)
  const workerArgs = (await registryServeArgs(logDir, { capture: false })).slice(0, -1)
  const workers: (ChildProcess | undefined)[] = [undefined, undefined]
  const startWorker = async (index: number) => {
    const healthPort = await freePort()
    workers[index] = await spawnNode([...workerArgs, 'worker'], {
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: serviceUrl.toString(),
        EBOX_ENVIRONMENT: 'simulation',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(healthPort),
        METRICS_PORT: String(await freePort()),
        DB_POOL_MAX: '4',
        DB_STATEMENT_TIMEOUT_MS: '10000',
        EES_URL: ees.url,
        EES_TIMEOUT_MS: '2000',
        OAUTH_TOKEN_URL: issuer.tokenUrl,
        OAUTH_CLIENT_ID: WORKER_CLIENT_ID,
        OAUTH_CLIENT_KEY: workerKey,
        OUTBOX_BATCH_SIZE: '20',
        OUTBOX_LEASE_MS: '5000',
        OUTBOX_BACKOFF_BASE_MS: '200',
        OUTBOX_BACKOFF_MAX_MS: '2000',
        WORKER_CONCURRENCY: '2',
        WORKER_POLL_INTERVAL_MS: '100',
        WORKER_SCHEDULER_INTERVAL_MS: '5000',
      },
      logFile: join(logDir, `worker-${index}.log`),
      stdout: 'log',
      ready: async () => (await fetch(`http://127.0.0.1:${healthPort}/health/ready`)).status === 200,
    })
  }
  started.push(() => Promise.all(workers.map((worker) => (worker ? stopChild(worker, 5_000) : undefined))))
  await Promise.all([startWorker(0), startWorker(1)])
  log(`workers: pids ${workers.map((w) => w?.pid).join(', ')}`)

  const target: Target = {
    url: registry.url,
    dataset,
    human,
    tokens: { publisher: '', consumer: '', human: '' },
  }
  const system: ChaosSystem = {
    workDir,
    dataset,
    issuer,
    ees,
    partitions,
    relay,
    adminUrl,
    target,
    serviceDatabaseUrl: serviceUrl.toString(),
    get registry() {
      return registry
    },
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    workers,
    async restartPostgres() {
      await postgres.stop()
      postgres = await startEmbeddedPostgres(pgOptions)
    },
    async killRegistry() {
      process.kill(registry.pid, 'SIGKILL')
      await exited(registry.pid)
    },
    async startRegistry() {
      registry = await launchRegistry()
    },
    async killWorker(index) {
      const worker = workers[index]
      if (!worker) return
      const gone = new Promise((resolve) => worker.once('exit', resolve))
      worker.kill('SIGKILL')
      await gone
      workers[index] = undefined
    },
    startWorker,
    async cli(args) {
      const child = await spawnNode([...workerArgs, ...args], {
        env: { DATABASE_URL: adminUrl, NODE_ENV: 'production' },
        logFile: join(logDir, `cli-${args.join('-')}.log`),
        stdout: 'log',
        ready: async () => true,
      }).catch(() => undefined)
      if (!child) return 1
      if (child.exitCode !== null) return child.exitCode
      return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)))
    },
    async stop() {
      await Promise.all([
        registry.stop(),
        ...workers.map((worker) => (worker ? stopChild(worker, 5_000) : undefined)),
      ])
      await Promise.all([issuer.close(), ees.close(), partitions.close(), relay.close()])
      await postgres.stop()
      if (process.env.CHAOS_KEEP !== '1') rmSync(workDir, { recursive: true, force: true })
      else log(`kept ${workDir} (logs in ${logDir})`)
    },
  }
  system.target.tokens = await mintTokens(system)
  return system
}

/**
 * A sender's token, the portal's token for the e-Box the load publishes to (an application: every partition), and
 * a portal user's token for the big e-Box (a person: the partitions the Partition service grants), from the
 * issuer's current key.
 */
export async function mintTokens(
  system: Pick<ChaosSystem, 'issuer' | 'dataset' | 'target'>,
): Promise<Target['tokens']> {
  return {
    human: await humanToken(system, system.target.human.ssin),
    publisher: await system.issuer.mint({
      scopes: [SCOPES.publicationSender],
      cbe: system.dataset.publicationSenderOrganizationId,
      clientId: 'chaos-sender',
      expiresIn: 6 * 3600,
    }),
    consumer: await system.issuer.mint({
      scopes: [SCOPES.documentConsumer, SCOPES.referenceData],
      cbe: system.dataset.publicationEbox,
      clientId: 'chaos-portal',
      expiresIn: 6 * 3600,
    }),
  }
}

/** Resolves once `pid` is gone (a SIGKILLed child is reaped by Node at once). */
async function exited(pid: number): Promise<void> {
  for (let n = 0; n < 200; n++) {
    try {
      process.kill(pid, 0)
    } catch {
      return
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A portal user's token for the big e-Box: the person `ssin`, restricted to their partitions. */
export function humanToken(system: Pick<ChaosSystem, 'issuer' | 'dataset'>, ssin: string): Promise<string> {
  return system.issuer.mint({
    scopes: [SCOPES.documentConsumer],
    cbe: system.dataset.bigEbox,
    ssin,
    clientId: 'chaos-portal-users',
    expiresIn: 6 * 3600,
  })
}

/** The portal user of `ebox` and the e-Box's visible messages inside and outside HUMAN_PARTITIONS. */
async function humanUserOf(adminUrl: string, ebox: string): Promise<HumanUser> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ message_id: string; inside: boolean }>(
      `SELECT message_id, partition_id = ANY($2::text[]) AS inside FROM messages
       WHERE recipient_type = 'enterprise' AND recipient_id = $1 AND visible`,
      [ebox, HUMAN_PARTITIONS],
    )
    return {
      ebox,
      ssin: personSsin(0),
      partitions: HUMAN_PARTITIONS,
      inside: rows.filter((row) => row.inside).map((row) => row.message_id),
      outside: rows.filter((row) => !row.inside).map((row) => row.message_id),
    }
  } finally {
    await client.end()
  }
}
