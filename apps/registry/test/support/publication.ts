import { createHash } from 'node:crypto'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES } from '@ebox/contract'
import type { App } from '../../src/app.ts'
import type { Pool } from '../../src/db/pool.ts'

/** Reference data and e-Boxes the publication tests rely on (inserted by SQL into the test's own database). */
export const SENDER = '0406798006' // the test registry's default token CBE
export const OTHER_SENDER = '0206731645'
export const CONSULTED_ENTERPRISE = '0474028805'
export const NEW_ENTERPRISE = '0852093431'
export const CITIZEN = '79072300048'
export const APP = 'payrollApp'
export const OTHER_APP = 'otherApp'
export const TYPE_MONTH = 'payslip' // 2 months, enterprise recipients
export const TYPE_DAY = 'reminder' // 10 days, enterprise recipients
export const TYPE_CITIZEN = 'citizenLetter' // 1 year, citizen recipients only

export async function seedPublicationData(pool: Pool) {
  const name = (text: string) => JSON.stringify({ nl: text, fr: text, de: text })
  await pool.query(
    `INSERT INTO sender_organizations (organization_id, short_name) VALUES ($1, $3), ($2, $4)`,
    [SENDER, OTHER_SENDER, name('Sender'), name('Other sender')],
  )
  await pool.query(
    `INSERT INTO sender_applications (application_id, organization_id, name) VALUES ($1, $2, $5), ($3, $4, $5)`,
    [APP, SENDER, OTHER_APP, OTHER_SENDER, name('Application')],
  )
  await pool.query(
    `INSERT INTO message_types (message_type_id, name, validity_number, validity_unit)
     VALUES ($1, $4, 2, 'month'), ($2, $4, 10, 'day'), ($3, $4, 1, 'year')`,
    [TYPE_MONTH, TYPE_DAY, TYPE_CITIZEN, name('Type')],
  )
  await pool.query(
    `INSERT INTO sender_configurations (application_id, message_type_id, recipient_type)
     VALUES ($1, $3, 'enterprise'), ($1, $4, 'enterprise'), ($1, $5, 'citizen'), ($2, $3, 'enterprise')`,
    [APP, OTHER_APP, TYPE_MONTH, TYPE_DAY, TYPE_CITIZEN],
  )
  await pool.query(
    `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at) VALUES ('enterprise', $1, now())`,
    [CONSULTED_ENTERPRISE],
  )
}

export const publisherToken = { scopes: [SCOPES.publicationSender], cbe: SENDER }

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('base64url')

/** A valid messageToPublish with one main attachment in part `file1`; `overrides` are merged shallowly. */
export function messageToPublish(overrides: Record<string, unknown> = {}) {
  return {
    sender: { eboxType: 'enterprise', enterpriseNumber: SENDER },
    recipient: { eboxType: 'enterprise', enterpriseNumber: CONSULTED_ENTERPRISE },
    subject: { fr: 'Votre fiche de paie', nl: 'Uw loonbrief' },
    messageTypeId: TYPE_MONTH,
    senderApplicationId: APP,
    attachments: [{ httpPartName: 'file1', isMainContent: true }],
    ...overrides,
  }
}

export interface Part {
  name: string
  /** A field (messageToPublish) when `data` is absent. */
  value?: string
  data?: Buffer
  filename?: string
  contentType?: string
}

export const BOUNDARY = '----ebox-test-boundary-7MA4YWxkTrZu0gW'

/** The bytes of one part's header (and, for fields, its value). */
export function partHead(part: Part): Buffer {
  const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`
  const type = part.contentType ? `\r\nContent-Type: ${part.contentType}` : ''
  return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`)
}

export const CLOSING = Buffer.from(`--${BOUNDARY}--\r\n`)

export function multipartBody(parts: Part[]): Buffer {
  const pieces: Buffer[] = []
  for (const part of parts) {
    pieces.push(partHead(part), part.data ?? Buffer.from(part.value ?? ''), Buffer.from('\r\n'))
  }
  pieces.push(CLOSING)
  return Buffer.concat(pieces)
}

export const jsonPart = (message: unknown): Part => ({
  name: 'messageToPublish',
  value: JSON.stringify(message),
})
export const filePart = (
  name: string,
  data: Buffer,
  filename = `${name}.pdf`,
  contentType = 'application/pdf',
): Part => ({
  name,
  data,
  filename,
  contentType,
})

/** POST /ebox/messages through inject. */
export async function publish(app: App, token: string, parts: Part[], headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/ebox/messages',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      ...headers,
    },
    payload: multipartBody(parts),
  })
}

/** Row counts of everything a publication writes: equal before and after a refused one. */
export async function storedState(pool: Pool) {
  const { rows } = await pool.query<Record<string, number>>(
    `SELECT (SELECT count(*)::int FROM messages) AS messages,
            (SELECT count(*)::int FROM attachments) AS attachments,
            (SELECT count(*)::int FROM contents) AS contents,
            (SELECT count(*)::int FROM content_chunks) AS chunks,
            (SELECT count(*)::int FROM outbox_events) AS events,
            (SELECT count(*)::int FROM eboxes) AS eboxes,
            (SELECT count(*)::int FROM routing_rule_sets) AS rule_sets`,
  )
  return rows[0]!
}

/** Starts listening on a free local port (for tests about streaming and the network). */
export async function listen(app: App): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as AddressInfo
  return `http://127.0.0.1:${address.port}`
}

export interface StreamedResponse {
  status: number
  body: string
}

/**
 * A raw HTTP POST whose body the test writes piece by piece (`write` awaits each piece's flush). Resolves with
 * the response; `abort()` destroys the connection mid-body.
 */
export function streamingPost(baseUrl: string, token: string, headers: Record<string, string> = {}) {
  const url = new URL('/ebox/messages', baseUrl)
  const request = httpRequest(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'transfer-encoding': 'chunked',
      ...headers,
    },
  })
  const response = new Promise<StreamedResponse>((resolve, reject) => {
    request.on('response', (incoming: IncomingMessage) => {
      const chunks: Buffer[] = []
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      )
      incoming.on('error', reject)
    })
    request.on('error', reject)
  })
  response.catch(() => {}) // an aborted request rejects; the test decides whether it cares
  return {
    response,
    write: (data: Buffer) =>
      new Promise<void>((resolve, reject) =>
        request.write(data, (error) => (error ? reject(error) : resolve())),
      ),
    end: () => new Promise<void>((resolve) => request.end(resolve)),
    abort: () => request.destroy(),
  }
}

/** Waits until `check` holds (polling), or fails after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
