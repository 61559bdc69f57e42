import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BOUNDARY,
  CONSULTED_ENTERPRISE,
  eventually,
  filePart,
  jsonPart,
  listen,
  messageToPublish,
  partHead,
  publish,
  publisherToken,
  SENDER,
  seedPublicationData,
  storedState,
} from './support/publication.ts'
import { OAUTH_MODES, startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Publication under attack (issue 23, findings 1, 5 and 6): stalled uploads hold no database connection and
 * are cut with 408; a representative token cannot publish for its own enterprise; file names are cleaned after
 * percent-decoding, the name as given kept for the audit trail only.
 */
const pdf = Buffer.from('%PDF-1.7 attack test')
const STALLED = 12
const WINDOW_SECONDS = 3

/** Headers and the first boundary (and optionally more), then nothing: over a real socket. */
function stalledUpload(port: number, token: string, extra = '') {
  const socket = connect(port, '127.0.0.1')
  const received: Buffer[] = []
  let answered = false
  socket.on('data', (chunk) => {
    answered = true
    received.push(chunk)
  })
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(Buffer.concat(received).toString()))
    socket.on('error', () => {})
  })
  socket.write(
    'POST /ebox/messages HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: Bearer ${token}\r\n` +
      `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: 100000\r\n\r\n` +
      `--${BOUNDARY}\r\n${extra}`,
  )
  return { closed, answered: () => answered, destroy: () => socket.destroy() }
}

describe('stalled uploads (real sockets)', () => {
  let registry: TestRegistry
  let port: number
  let stagingDir: string
  beforeAll(async () => {
    stagingDir = await mkdtemp(join(tmpdir(), 'ebox-staging-test-'))
    registry = await startTestRegistry({
      DB_POOL_MAX: '10',
      PUBLICATION_STAGING_DIR: stagingDir,
      // Every file on disk: a staged file is how these tests see that a body is being received.
      PUBLICATION_STAGING_MEMORY_FILE_BYTES: '0',
      PUBLICATION_MIN_BYTES_PER_SECOND: '200',
      PUBLICATION_MIN_RATE_WINDOW_SECONDS: String(WINDOW_SECONDS),
      PUBLICATION_MAX_CONCURRENT_PER_CLIENT: String(STALLED),
    })
    await seedPublicationData(registry.pool)
    port = Number(new URL(await listen(registry.app)).port)
  })
  afterAll(async () => {
    await registry.close()
    await rm(stagingDir, { recursive: true, force: true })
  })

  it('hold no connection: lists, readiness and other clients are served; the stalled get 408; nothing stays', async () => {
    const token = await registry.token(publisherToken)
    const reader = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: SENDER })
    const before = await storedState(registry.pool)
    // Half of them stall before any part, half in the middle of a file part (a staged file exists).
    const halfFile =
      `Content-Disposition: form-data; name="messageToPublish"\r\n\r\n${JSON.stringify(messageToPublish())}\r\n` +
      partHead(filePart('file1', pdf)).toString() +
      'x'.repeat(1000)
    const stalled = Array.from({ length: STALLED }, (_, index) =>
      stalledUpload(port, token, index % 2 === 0 ? '' : halfFile),
    )
    await eventually(async () => (await readdir(stagingDir)).length > 0)

    const lists = await Promise.all(
      Array.from({ length: 15 }, () =>
        registry.app.inject({ url: '/ebox/messages', headers: { authorization: `Bearer ${reader}` } }),
      ),
    )
    expect(lists.map((response) => response.statusCode)).toEqual(lists.map(() => 200))
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
    expect(ready.status).toBe(200)
    // Still stalled (not yet cut) while all of that was answered.
    expect(stalled.filter((upload) => upload.answered())).toEqual([])

    // One client at its cap is told to come back; another client publishes meanwhile.
    const capped = await publish(registry.app, token, [jsonPart(messageToPublish()), filePart('file1', pdf)])
    expect(capped.statusCode, capped.body).toBe(429)
    expect(capped.headers['retry-after']).toBeDefined()
    expect(capped.json()).toMatchObject({ code: 'TOO_MANY_REQUESTS' })
    const other = await registry.token({ ...publisherToken, clientId: 'other-publisher' })
    const published = await publish(registry.app, other, [
      jsonPart(messageToPublish()),
      filePart('file1', pdf),
    ])
    expect(published.statusCode, published.body).toBe(201)
    const withPublished = await storedState(registry.pool)
    expect(withPublished.messages).toBe((before.messages ?? 0) + 1)

    const answers = await Promise.all(stalled.map((upload) => upload.closed))
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /)
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
      expect(body).toMatchObject({ code: 'REQUEST_TIMEOUT', environment: 'test', id: expect.any(String) })
    }
    await eventually(async () => (await readdir(stagingDir)).length === 0)
    expect(await storedState(registry.pool)).toEqual(withPublished)
  })

  it('a client that aborts mid-file leaves no staged file and nothing stored', async () => {
    const token = await registry.token(publisherToken)
    const before = await storedState(registry.pool)
    const upload = stalledUpload(
      port,
      token,
      `${partHead(filePart('file1', pdf)).toString()}${'y'.repeat(5000)}`,
    )
    await eventually(async () => (await readdir(stagingDir)).length > 0)
    upload.destroy()
    await eventually(async () => (await readdir(stagingDir)).length === 0)
    expect(await storedState(registry.pool)).toEqual(before)
  })
})

for (const oauthMode of OAUTH_MODES) {
  describe(`own-enterprise publication needs publicationsender (${oauthMode})`, () => {
    let registry: TestRegistry
    beforeAll(async () => {
      registry = await startTestRegistry({}, { oauthMode })
      await seedPublicationData(registry.pool)
    })
    afterAll(() => registry.close())

    it('refuses the representative scope naming its own enterprise in On-Behalf-Of-Enterprise-Number', async () => {
      const representative = await registry.token({ scopes: [SCOPES.representativePublication], cbe: SENDER })
      const before = await storedState(registry.pool)
      const response = await publish(
        registry.app,
        representative,
        [jsonPart(messageToPublish()), filePart('file1', pdf)],
        { 'on-behalf-of-enterprise-number': SENDER },
      )
      expect(response.statusCode, response.body).toBe(403)
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN' })
      expect(await storedState(registry.pool)).toEqual(before)
    })

    it('publishes for its own enterprise with publicationsender, header naming it or not', async () => {
      const sender = await registry.token(publisherToken)
      for (const headers of [{}, { 'on-behalf-of-enterprise-number': SENDER }] as Record<string, string>[]) {
        const response = await publish(
          registry.app,
          sender,
          [jsonPart(messageToPublish()), filePart('file1', pdf)],
          headers,
        )
        expect(response.statusCode, response.body).toBe(201)
      }
    })
  })
}

describe('file names', () => {
  let registry: TestRegistry
  beforeAll(async () => {
    registry = await startTestRegistry()
    await seedPublicationData(registry.pool)
  })
  afterAll(() => registry.close())

  const cases: [given: string, stored: string][] = [
    ['..%2F..%2Fetc%2Fx', 'x'],
    ['..%5C..%5Cwindows%5Cwin.ini', 'win.ini'],
    ['%E2%80%AEfdp.exe.txt', 'fdp.exe.txt'],
    ['\u202Efdp.exe.txt', 'fdp.exe.txt'],
    ['a%00b%0D%0A.pdf', 'ab.pdf'],
    ['%E2%81%A6x%E2%80%8F.pdf%E2%81%A9', 'x.pdf'],
    ['%2E%2E', 'attachment'],
    ['..%2F', 'attachment'],
    ['plain name.pdf', 'plain name.pdf'],
  ]
  for (const [given, stored] of cases) {
    it(`"${JSON.stringify(given)}" is stored as "${stored}"; the name as given is audited`, async () => {
      const token = await registry.token(publisherToken)
      const response = await publish(registry.app, token, [
        jsonPart(messageToPublish()),
        filePart('file1', pdf, given),
      ])
      expect(response.statusCode, response.body).toBe(201)
      const { messageId } = response.json()
      const { rows } = await registry.pool.query<{ file_name: string }>(
        'SELECT file_name FROM attachments WHERE message_id = $1',
        [messageId],
      )
      expect(rows).toEqual([{ file_name: stored }])
      const reader = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: CONSULTED_ENTERPRISE })
      const read = await registry.app.inject({
        url: `/ebox/messages/${messageId}`,
        headers: { authorization: `Bearer ${reader}` },
      })
      expect(read.body).not.toContain('../')
      const audit = await registry.pool.query<{ details: { fileNamesAsGiven?: unknown[] } }>(
        "SELECT details FROM audit_records WHERE details->>'messageId' = $1",
        [messageId],
      )
      const asGiven = audit.rows[0]?.details.fileNamesAsGiven ?? []
      if (stored === given) expect(audit.rows[0]?.details).not.toHaveProperty('fileNamesAsGiven')
      else expect(asGiven).toEqual([{ partName: 'file1', fileName: stored, givenName: given }])
    })
  }
})
