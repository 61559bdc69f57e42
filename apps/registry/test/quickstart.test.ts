import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** `pnpm start` as a newcomer runs it: the printed token lists, opens and downloads the demo messages. */
const DEV = fileURLToPath(new URL('../dev/quickstart.ts', import.meta.url))

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

let database: IsolatedDatabase
let child: ChildProcess
let output = ''
let base = ''
let token = ''

beforeAll(async () => {
  database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'quickstart' })
  const [port, issuerPort, metricsPort] = [await freePort(), await freePort(), await freePort()]
  child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', DEV], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      ISSUER_PORT: String(issuerPort),
      METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const deadline = Date.now() + 60_000
  while (!/export TOKEN=\S+/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the quickstart did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  token = /export TOKEN=(\S+)/.exec(output)![1]!
  base = /Message Registry: (\S+)/.exec(output)![1]!
}, 90_000)

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
  await database?.drop()
})

/** A publication token of the demo invoicing sender, minted at the quickstart's token issuer (/dev/mint). */
async function publisherToken(): Promise<string> {
  const issuerUrl = /Token issuer: +(\S+)/.exec(output)![1]!
  const response = await fetch(`${issuerUrl}/dev/mint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      scopes: [SCOPES.publicationSender],
      cbe: '0566988259',
      clientId: 'demo-invoicing',
    }),
  })
  return ((await response.json()) as { access_token: string }).access_token
}

async function publishTo(enterpriseNumber: string, bearer: string) {
  const form = new FormData()
  const message = {
    sender: { eboxType: 'enterprise', enterpriseNumber: '0566988259' },
    recipient: { eboxType: 'enterprise', enterpriseNumber },
    subject: { fr: 'Facture' },
    messageTypeId: 'invoice',
    senderApplicationId: 'demo-invoicing',
    attachments: [{ httpPartName: 'file1', isMainContent: true }],
  }
  form.append('messageToPublish', new Blob([JSON.stringify(message)], { type: 'application/json' }))
  form.append('file1', new Blob(['%PDF-1.4'], { type: 'application/pdf' }), 'facture.pdf')
  const response = await fetch(`${base}/ebox/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}` },
    body: form,
  })
  return { status: response.status, body: (await response.json()) as { code?: string } }
}

const get = (path: string) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })

describe('the quickstart', () => {
  it('loads the demo data set and prints curl examples that list, open and download', () => {
    expect(output).toContain('loaded the demo data set')
    expect(output).toContain(`/ebox/messages/${DEMO.messages.mainPdf}/attachments/1/content`)
  })

  it('its token lists the demo messages', async () => {
    const response = await get('/ebox/messages')
    expect(response.status).toBe(200)
    const body = (await response.json()) as { totalItems: number; items: { messageId: string }[] }
    expect(body.totalItems).toBe(DEMO.counts.listed)
    expect(body.items[0]?.messageId).toBe(DEMO.messages.mainPdf)
  })

  it('its token opens a message and downloads its PDF, whose bytes match the digest', async () => {
    const message = (await (await get(`/ebox/messages/${DEMO.messages.mainPdf}`)).json()) as {
      attachments: { items: { contentHref: string; digest: { digestValue: string } }[] }
    }
    const attachment = message.attachments.items[0]!
    // The default public URL is the quickstart's own: the href is followed as it is.
    expect(attachment.contentHref.startsWith(`${base}/ebox/messages/`)).toBe(true)
    const content = await fetch(attachment.contentHref, { headers: { authorization: `Bearer ${token}` } })
    expect(content.status).toBe(200)
    expect(content.headers.get('content-type')).toBe('application/pdf')
    const bytes = Buffer.from(await content.arrayBuffer())
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-')
    expect(createHash('sha256').update(bytes).digest('base64url')).toBe(attachment.digest.digestValue)
  })

  it('publishes through its e-Box Preferences stand-in: demo e-Box, no e-Box, stopped company', async () => {
    const bearer = await publisherToken()
    const registered = await publishTo(DEMO.secondEnterprise, bearer)
    expect(registered.status).toBe(201)
    expect(registered.body.code).toBeUndefined()
    const unknown = await publishTo('0203201340', bearer)
    expect(unknown.status).toBe(201)
    expect(unknown.body.code).toBe('NO_DIGITAL_USER')
    const stopped = await publishTo('0417497106', bearer)
    expect(stopped.status).toBe(400)
    expect(stopped.body.code).toBe('INVALID_INPUT')
  })
})
