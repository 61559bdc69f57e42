import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_FEDERATION_PROFILE, SCOPES } from '@ebox/contract'
import { freePort } from '@ebox/dev-postgres'
import { type EboxPreferencesStandIn, startRegistryFederation, type TokenIssuer } from '@ebox/token-issuer'
import { repositoryRoot } from '../database.ts'
import { bundleEntry } from './bundle.ts'
import type { CapturedStatement } from './captured.ts'

export type OAuthMode = 'jwt' | 'introspection'
export const AUDIENCE = 'https://registry.bench.example'
const DP_CLIENT_ID = 'ebox-dp-bench'

/** A process of ours under measurement: its pid (for /proc) and how to stop it. */
export interface MeasuredProcess {
  pid: number
  url: string
  stop(): Promise<void>
}

/** Resident set size of a process now and its peak since the last `resetPeak` (Linux /proc). */
export async function memoryOf(pid: number): Promise<{ rssBytes: number; peakBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  return { rssBytes: kb('VmRSS'), peakBytes: kb('VmHWM') }
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs), so the next peak is the scenario's own. */
export async function resetPeak(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => {})
}

/** Spawns `node <args>` and waits for `ready()`; the child's output goes to `logFile`. */
export async function spawnNode(
  args: string[],
  options: {
    env: Record<string, string>
    logFile: string
    ready: () => Promise<boolean>
    stdout?: 'log' | 'ignore'
  },
): Promise<ChildProcess> {
  const log = createWriteStream(options.logFile, { flags: 'a' })
  const child = spawn(process.execPath, args, {
    cwd: repositoryRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.stdout === 'log' ? 'pipe' : 'ignore', 'pipe'],
  })
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  let exited: number | null | undefined
  child.once('exit', (code) => {
    exited = code
  })
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`${args.join(' ')} exited with ${exited}; see ${options.logFile}`)
    if (await options.ready().catch(() => false)) return child
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`${args.join(' ')} did not become ready; see ${options.logFile}`)
}

export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/**
 * `BENCH_FROM_SOURCE=1` runs the service from its sources through tsx, with no build: for quick iterations only,
 * since tsx adds work production does not do (esbuild's keep-names helpers among others).
 */
export const fromSource = process.env.BENCH_FROM_SOURCE === '1'
const BUILD_COMMAND = [
  'exec',
  'turbo',
  'run',
  'build',
  '--filter=@ebox/registry...',
  '--output-logs=new-only',
]

let built: Promise<void> | undefined

/**
 * Builds the registry and its workspace dependencies as the Docker image does (tsc into each package's git-ignored
 * dist/), through turbo so that an unchanged tree is a cache hit. Once per harness process, whatever the modes;
 * turbo's output goes to `logFile`.
 */
function buildRegistry(logFile: string): Promise<void> {
  built ??= (async () => {
    const started = Date.now()
    const command = `pnpm ${BUILD_COMMAND.join(' ')}`
    console.log(`building the registry: ${command}`)
    const output: Buffer[] = []
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('pnpm', BUILD_COMMAND, { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
      child.once('error', reject)
      child.once('close', resolve)
    })
    const text = Buffer.concat(output).toString('utf8')
    await writeFile(logFile, text)
    if (code !== 0) {
      const tail = text.trimEnd().split('\n').slice(-30).join('\n')
      throw new Error(
        `building the registry failed (${command} exited with ${code}); see ${logFile}:\n${tail}`,
      )
    }
    const cached = /Cached:\s+(\d+ cached, \d+ total)/.exec(text)?.[1]
    console.log(
      `registry built in ${((Date.now() - started) / 1000).toFixed(1)} s (${cached ?? 'see the log'})`,
    )
  })()
  return built
}

/**
 * `node` arguments that run `registry serve`: the built registry (as the Docker image runs it), or the sources via
 * tsx with BENCH_FROM_SOURCE=1; with `capture`, the SQL-capture preload first.
 */
export async function registryServeArgs(logDir: string, options: { capture: boolean }): Promise<string[]> {
  if (fromSource) {
    const preload = join(repositoryRoot, 'bench/src/service/capture-preload.ts')
    return [
      '--conditions=source',
      '--import',
      'tsx',
      ...(options.capture ? ['--import', preload] : []),
      join(repositoryRoot, 'apps/registry/src/main.ts'),
      'serve',
    ]
  }
  await buildRegistry(join(logDir, 'build.log'))
  // pg is loaded at run time from the registry's package (not bundled): the preload patches that instance.
  const preload = options.capture
    ? ['--import', await bundleEntry('bench/src/service/capture-preload.ts')]
    : []
  return [...preload, join(repositoryRoot, 'apps/registry/dist/main.js'), 'serve']
}

export interface RegistryProcess extends MeasuredProcess {
  mode: OAuthMode
  /** Records the SQL the service runs during `work`. */
  captureSql(work: () => Promise<void>): Promise<CapturedStatement[]>
}

/**
 * The registry as production runs it, in a process of its own: the tsc build (`node dist/main.js serve`, as the
 * Docker image does; built by `buildRegistry` first, unless BENCH_FROM_SOURCE=1), JSON logs at info level (to
 * /dev/null), rate limits lifted, the audit trail on. `mode` picks the token verifier; in introspection mode the
 * registry's own client is registered at the local issuer.
 */
export async function startRegistry(options: {
  databaseUrl: string
  issuer: TokenIssuer
  mode: OAuthMode
  logDir: string
  poolMax?: number
  /** The API's port; default a free one (a harness that restarts the registry keeps its port). */
  port?: number
  /** Keep the service's own log (stdout) in the log file too; default: discarded, as its cost is not measured. */
  keepLog?: boolean
  /** More environment, e.g. CONTENT_STORE and S3_* (src/object-store.ts). */
  env?: Record<string, string>
}): Promise<RegistryProcess> {
  const port = options.port ?? (await freePort())
  const controlPort = await freePort()
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: String(await freePort()),
    EBOX_ENVIRONMENT: 'simulation',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    DB_POOL_MAX: String(options.poolMax ?? 10),
    OAUTH_MODE: options.mode,
    OAUTH_ISSUER: options.issuer.issuer,
    OAUTH_AUDIENCE: AUDIENCE,
    OAUTH_JWKS_URL: options.issuer.jwksUrl,
    // Limits stay on (their cost is real) but far above what one client on loopback can send.
    RATE_LIMIT_WINDOW_SECONDS: '1',
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_CALLER: '1000000',
    RATE_LIMIT_PER_CLIENT: '1000000',
    PUBLICATION_MAX_FILE_BYTES: String(200 * 1024 * 1024),
    BENCH_CONTROL_PORT: String(controlPort),
    BENCH_REGISTRY_PACKAGE: join(repositoryRoot, 'apps/registry/package.json'),
    ...options.env,
  }
  const federation = await federationEnv(options.issuer)
  Object.assign(env, federation.env)
  if (options.mode === 'introspection') {
    Object.assign(env, {
      OAUTH_INTROSPECTION_URL: options.issuer.introspectionUrl,
      INTROSPECTION_CACHE_SECONDS: '60',
    })
  }
  const url = `http://127.0.0.1:${port}`
  const child = await spawnNode(
    [
      // Extra flags for a closer look, e.g. BENCH_REGISTRY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(process.env.BENCH_REGISTRY_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(await registryServeArgs(options.logDir, { capture: true })),
    ],
    {
      env,
      logFile: join(options.logDir, `registry-${options.mode}.log`),
      ...(options.keepLog ? { stdout: 'log' as const } : {}),
      ready: async () => (await fetch(`${url}/health/ready`)).status === 200,
    },
  )
  const control = `http://127.0.0.1:${controlPort}`
  return {
    mode: options.mode,
    pid: child.pid!,
    url,
    async captureSql(work) {
      await fetch(`${control}/capture/start`, { method: 'POST' })
      try {
        await work()
      } finally {
        // Statements still in flight when the response left (none expected) are caught by the short pause.
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return (await (
        await fetch(`${control}/capture/stop`, { method: 'POST' })
      ).json()) as CapturedStatement[]
    },
    async stop() {
      await stopChild(child)
      await federation.preferences.close()
    },
  }
}

/**
 * The registry's own OAuth client at the local issuer (introspection, e-Box Preferences) and the e-Box Preferences
 * stand-in publication asks: no recipient of the bench has an e-Box there (every publication answers
 * NO_DIGITAL_USER), every company is active; answers are cached by the registry as in production.
 */
export async function federationEnv(
  issuer: TokenIssuer,
): Promise<{ env: Record<string, string>; preferences: EboxPreferencesStandIn }> {
  const { paths, scopes } = DEFAULT_FEDERATION_PROFILE
  const federation = await startRegistryFederation(issuer, {
    clientId: DP_CLIENT_ID,
    paths,
    scopes,
    enterprises: [],
    citizens: [],
  })
  return {
    preferences: federation.preferences,
    env: { OAUTH_TOKEN_URL: issuer.tokenUrl, ...federation.env },
  }
}

/** Tokens as production callers hold them: the enterprise's consumer application and a publishing sender. */
export async function benchTokens(
  issuer: TokenIssuer,
  dataset: { bigEbox: string; publicationSenderOrganizationId: string },
) {
  return {
    consumer: await issuer.mint({
      scopes: [SCOPES.documentConsumer, SCOPES.referenceData],
      cbe: dataset.bigEbox,
      clientId: 'bench-portal',
      expiresIn: 6 * 3600,
    }),
    publisher: await issuer.mint({
      scopes: [SCOPES.publicationSender],
      cbe: dataset.publicationSenderOrganizationId,
      clientId: 'bench-sender',
      expiresIn: 6 * 3600,
    }),
  }
}
