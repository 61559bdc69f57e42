/**
 * Memory of publication and download (issue 5): the registry runs as a process of its own, its resident set is
 * sampled from /proc while a client
 *   1. publishes one message with 6 attachments of 20 MB each (multipart, chunked, the JSON part last with the
 *      digests computed while streaming — the end-to-end streaming case of the brief), and
 *   2. downloads a 200 MB attachment (published beforehand; that publication is measured too).
 * Growth = peak RSS during the scenario − RSS just before it (after a warm-up). The budget is 64 MB per scenario;
 * the script exits with status 1 when a scenario exceeds it.
 *
 *   pnpm --filter @ebox/bench publication-memory        (DATABASE_URL = a PostgreSQL server, else embedded)
 *   BENCH_FILE_MB=20 BENCH_FILES=6 BENCH_DOWNLOAD_MB=200  (defaults)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SCOPES } from '@ebox/contract'
import { createIsolatedDatabase, freePort, startEmbeddedPostgres } from '@ebox/dev-postgres'
import { migrateUp } from '@ebox/registry'
import { startTokenIssuer } from '@ebox/token-issuer'
import pg from 'pg'
import { federationEnv, registryServeArgs } from './service/registry-process.ts'

const MB = 1024 * 1024
const FILES = Number(process.env.BENCH_FILES ?? 6)
const FILE_BYTES = Number(process.env.BENCH_FILE_MB ?? 20) * MB
const DOWNLOAD_BYTES = Number(process.env.BENCH_DOWNLOAD_MB ?? 200) * MB
const BUDGET_BYTES = 64 * MB
const CHUNK = 64 * 1024
const SENDER = '0406798006'
const RECIPIENT = '0474028805'
const AUDIENCE = 'https://registry.bench.example'
const BOUNDARY = '----ebox-bench-boundary'

// Resident set of another process ------------------------------------------------------------------------------

function procStatus(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') }
}

/** Samples the RSS every 10 ms (and the kernel's high-water mark, reset at start) while `work` runs. */
async function measure<T>(pid: number, work: () => Promise<T>) {
  await new Promise((resolve) => setTimeout(resolve, 500)) // let the previous step's garbage settle
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5') // resets VmHWM to the current RSS (Linux ≥ 4.0)
  } catch {}
  const baseline = procStatus(pid).rss
  let peak = baseline
  const timer = setInterval(() => {
    peak = Math.max(peak, procStatus(pid).rss)
  }, 10)
  const started = performance.now()
  try {
    const result = await work()
    const seconds = (performance.now() - started) / 1000
    const { rss, hwm } = procStatus(pid)
    peak = Math.max(peak, rss, hwm)
    return { result, baseline, peak, growth: peak - baseline, seconds }
  } finally {
    clearInterval(timer)
  }
}

// HTTP client ---------------------------------------------------------------------------------------------------

interface Upload {
  name: string
  bytes: number
}

/**
 * POST /ebox/messages with `uploads` generated chunk by chunk (random bytes, never held whole), the JSON part
 * last carrying the digests computed on the way.
 */
async function publish(baseUrl: string, token: string, uploads: Upload[]): Promise<{ messageId: string }> {
  const request = httpRequest(new URL('/ebox/messages', baseUrl), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'transfer-encoding': 'chunked',
      'idempotency-key': `"${randomBytes(16).toString('hex')}"`,
    },
  })
  const response = once(request, 'response')
  const write = async (data: Buffer | string) => {
    if (!request.write(data)) await once(request, 'drain')
  }
  const digests: string[] = []
  for (const upload of uploads) {
    await write(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${upload.name}"; filename="${upload.name}.pdf"\r\n` +
        'Content-Type: application/pdf\r\n\r\n',
    )
    const hash = createHash('sha256')
    for (let sent = 0; sent < upload.bytes; sent += CHUNK) {
      const chunk = randomBytes(Math.min(CHUNK, upload.bytes - sent))
      hash.update(chunk)
      await write(chunk)
    }
    digests.push(hash.digest('base64url'))
    await write('\r\n')
  }
  const message = {
    sender: { eboxType: 'enterprise', enterpriseNumber: SENDER },
    recipient: { eboxType: 'enterprise', enterpriseNumber: RECIPIENT },
    subject: { fr: 'Benchmark' },
    messageTypeId: 'benchType',
    senderApplicationId: 'benchApp',
    attachments: uploads.map((upload, index) => ({
      httpPartName: upload.name,
      isMainContent: index === 0,
      digest: { digestMethod: 'sha_256', digestValue: digests[index] },
    })),
  }
  await write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="messageToPublish"\r\n\r\n`)
  await write(`${JSON.stringify(message)}\r\n--${BOUNDARY}--\r\n`)
  request.end()
  const [incoming] = (await response) as [import('node:http').IncomingMessage]
  const chunks: Buffer[] = []
  for await (const chunk of incoming) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks).toString()
  if (incoming.statusCode !== 201) throw new Error(`publication answered ${incoming.statusCode}: ${body}`)
  return JSON.parse(body)
}

/** Downloads an attachment's content, hashing it on the way; returns size and digest. */
async function download(
  baseUrl: string,
  token: string,
  path: string,
): Promise<{ bytes: number; digest: string }> {
  const request = httpRequest(new URL(path, baseUrl), { headers: { authorization: `Bearer ${token}` } })
  request.end()
  const [incoming] = (await once(request, 'response')) as [import('node:http').IncomingMessage]
  if (incoming.statusCode !== 200) throw new Error(`download answered ${incoming.statusCode}`)
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of incoming) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { bytes, digest: hash.digest('base64url') }
}

async function digestOf(pool: pg.Pool, messageId: string): Promise<string> {
  const { rows } = await pool.query(
    'SELECT digest FROM attachments WHERE message_id = $1 AND attachment_id = $2',
    [messageId, '1'],
  )
  return rows[0].digest
}

// Set-up ------------------------------------------------------------------------------------------------------

async function seed(pool: pg.Pool) {
  const name = JSON.stringify({ nl: 'Bench', fr: 'Bench', de: 'Bench' })
  await pool.query('INSERT INTO sender_organizations (organization_id, short_name) VALUES ($1, $2)', [
    SENDER,
    name,
  ])
  await pool.query(
    `INSERT INTO sender_applications (application_id, organization_id, name) VALUES ('benchApp', $1, $2)`,
    [SENDER, name],
  )
  await pool.query(
    `INSERT INTO message_types (message_type_id, name, validity_number, validity_unit) VALUES ('benchType', $1, 1, 'year')`,
    [name],
  )
  await pool.query(`INSERT INTO sender_configurations VALUES ('benchApp', 'benchType', 'enterprise')`)
  await pool.query(
    `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at) VALUES ('enterprise', $1, now())`,
    [RECIPIENT],
  )
}

async function startRegistry(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort()
  const child = spawn(process.execPath, await registryServeArgs(tmpdir(), { capture: false }), {
    cwd: fileURLToPath(new URL('../../apps/registry/', import.meta.url)),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const url = `http://127.0.0.1:${port}`
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error('the registry exited during start')
    try {
      const response = await fetch(`${url}/health/ready`)
      if (response.ok) break
    } catch {}
    if (attempt > 300) throw new Error('the registry did not become ready')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, url }
}

const mb = (bytes: number) => (bytes / MB).toFixed(1)

async function main() {
  let adminUrl = process.env.DATABASE_URL
  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: join(tmpdir(), `ebox-bench-pg-${process.pid}`),
      persistent: false,
    })
    adminUrl = embedded.url
  }
  const database = await createIsolatedDatabase(adminUrl, { prefix: 'bench' })
  const issuer = await startTokenIssuer({ audience: AUDIENCE })
  const pool = new pg.Pool({ connectionString: database.url, max: 2 })
  let registry: { child: ChildProcess; url: string } | undefined
  const federation = await federationEnv(issuer)
  try {
    await migrateUp(database.url)
    await seed(pool)
    registry = await startRegistry({
      ...federation.env,
      DATABASE_URL: database.url,
      EBOX_ENVIRONMENT: 'test',
      LOG_LEVEL: 'warn',
      OAUTH_ISSUER: issuer.issuer,
      OAUTH_AUDIENCE: AUDIENCE,
      OAUTH_JWKS_URL: issuer.jwksUrl,
      PUBLICATION_MAX_FILE_BYTES: String(DOWNLOAD_BYTES + MB),
      PUBLICATION_MAX_REQUEST_BYTES: String(Math.max(DOWNLOAD_BYTES, FILES * FILE_BYTES) + 8 * MB),
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_CALLER: '1000000',
      RATE_LIMIT_PER_CLIENT: '1000000',
    })
    const pid = registry.child.pid!
    const sender = await issuer.mint({ scopes: [SCOPES.publicationSender], cbe: SENDER })
    const reader = await issuer.mint({ scopes: [SCOPES.documentConsumer], cbe: RECIPIENT })
    const content = (messageId: string) => `/ebox/messages/${messageId}/attachments/1/content`
    const files = (count: number, bytes: number) =>
      Array.from({ length: count }, (_, i) => ({ name: `file${i + 1}`, bytes }))

    // Warm-up: every code path once, with small files.
    const warm = await publish(registry.url, sender, files(FILES, MB))
    await download(registry.url, reader, content(warm.messageId))
    const started = procStatus(pid).rss

    const upload = await measure(pid, () => publish(registry!.url, sender, files(FILES, FILE_BYTES)))
    const bigUpload = await measure(pid, () => publish(registry!.url, sender, files(1, DOWNLOAD_BYTES)))
    const big = bigUpload.result
    const fetched = await measure(pid, () => download(registry!.url, reader, content(big.messageId)))
    if (
      fetched.result.bytes !== DOWNLOAD_BYTES ||
      fetched.result.digest !== (await digestOf(pool, big.messageId))
    ) {
      throw new Error('the downloaded bytes differ from the published ones')
    }

    const rows = [
      {
        scenario: `publish ${FILES} × ${mb(FILE_BYTES)} MB (JSON last)`,
        ...upload,
        throughput: (FILES * FILE_BYTES) / MB / upload.seconds,
      },
      {
        scenario: `download ${mb(DOWNLOAD_BYTES)} MB`,
        ...fetched,
        throughput: DOWNLOAD_BYTES / MB / fetched.seconds,
      },
      {
        scenario: `publish 1 × ${mb(DOWNLOAD_BYTES)} MB (the download's source)`,
        ...bigUpload,
        throughput: DOWNLOAD_BYTES / MB / bigUpload.seconds,
      },
    ]
    console.log(`registry RSS after start and warm-up: ${mb(started)} MB (node ${process.version})`)
    console.log('| scenario | RSS before (MB) | peak RSS (MB) | growth (MB) | budget | time (s) | MB/s |')
    console.log('|---|---:|---:|---:|---|---:|---:|')
    for (const row of rows) {
      const verdict = row.growth < BUDGET_BYTES ? 'ok (< 64 MB)' : 'OVER 64 MB'
      console.log(
        `| ${row.scenario} | ${mb(row.baseline)} | ${mb(row.peak)} | ${mb(row.growth)} | ${verdict} | ${row.seconds.toFixed(1)} | ${row.throughput.toFixed(0)} |`,
      )
    }
    console.log(
      JSON.stringify({
        benchmark: 'publication-memory',
        node: process.version,
        results: rows.map(({ scenario, baseline, peak, growth, seconds }) => ({
          scenario,
          baseline,
          peak,
          growth,
          seconds,
        })),
      }),
    )
    if (rows.some((row) => row.growth >= BUDGET_BYTES)) process.exitCode = 1
  } finally {
    registry?.child.kill('SIGTERM')
    if (registry && registry.child.exitCode === null) await once(registry.child, 'exit')
    await pool.end()
    await federation.preferences.close()
    await issuer.close()
    await database.drop()
    await embedded?.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
