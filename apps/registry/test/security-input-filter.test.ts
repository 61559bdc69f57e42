import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isStorableDate, unstorableText } from '../src/db/storable-text.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { filePart, jsonPart, messageToPublish, publish } from './support/publication.ts'

/**
 * Issue 23, finding 7 and "Edge validation": strings PostgreSQL cannot take (NUL, lone surrogates, dates it
 * refuses) and overlong values are answered 400 StatusMessage before any query, on every route; errors Node's
 * HTTP parser raises get a StatusMessage too. Each case answered 500 before the input filter.
 */
let registry: DemoRegistry
let url: string
beforeAll(async () => {
  registry = await startDemoRegistry()
  await registry.app.listen({ host: '127.0.0.1', port: 0 })
  url = `http://127.0.0.1:${(registry.app.server.address() as AddressInfo).port}`
})
afterAll(() => registry.close())

function expectInvalidInput(response: LightMyRequestResponse, mentions?: RegExp) {
  expect(response.statusCode, response.body).toBe(400)
  const body = response.json()
  expect(Object.keys(body).sort()).toEqual(['code', 'environment', 'id', 'message'])
  expect(body.code).toBe('INVALID_INPUT')
  if (mentions) expect(body.message).toMatch(mentions)
}

describe('the edge input filter', () => {
  it.each([
    ['a NUL in a list filter', '/ebox/messages?messageTypeId=%00'],
    ['a NUL in a search term', '/ebox/messages?q=a%00&qlang=fr'],
    ['a NUL in a partition filter', '/ebox/messages?partitionId=GENERAL%00'],
    ['a NUL in a message id', '/ebox/messages/%00'],
    ['a NUL in an attachment id', `/ebox/messages/${DEMO.messages.mainPdf}/attachments/%00`],
    ['a NUL in a reference-data id', '/referenceData/messageTypes/%00'],
    ['a NUL in a legacy reference-data id', '/refData/senderOrganizations/a%00b'],
    ['a NUL in an image id', '/referenceData/senderOrganizations/0220916609/images/%00/content'],
    ['year 0000 in a date filter', '/ebox/messages?receivedAfter=0000-01-01'],
    ['a day that does not exist', '/ebox/messages?expiredBefore=2023-02-29'],
    ['a page size of Infinity', '/referenceData/senderApplications?pageSize=Infinity'],
    ['an overlong filter value', `/ebox/messages?partitionId=${'x'.repeat(5000)}`],
  ])('refuses %s with 400 before any query', async (_what, path) => {
    expectInvalidInput(await registry.get(path))
  })

  it('keeps valid dates and ordinary text', async () => {
    expect(
      (await registry.get('/ebox/messages?receivedAfter=2024-02-29&q=%C3%A9p&qlang=fr')).statusCode,
    ).toBe(200)
    expect(isStorableDate('0001-01-01')).toBe(true)
    expect(isStorableDate('2024-02-29T23:59:59.123+01:00')).toBe(true)
    expect(isStorableDate('0000-01-01')).toBe(false)
    expect(isStorableDate('2024-01-01T24:00:00Z')).toBe(false)
    expect(unstorableText('\u{1f4a9} and é')).toBeUndefined()
    expect(unstorableText('a\ud800')).toMatch(/surrogate/)
    expect(unstorableText('\udc00a')).toMatch(/surrogate/)
  })

  it('refuses NUL and lone surrogates in a PATCH body', async () => {
    const response = await registry.app.inject({
      method: 'PATCH',
      url: '/ebox/messages',
      headers: { ...registry.main, 'content-type': 'application/json' },
      payload: `{"items":[{"messageId":"${DEMO.messages.mainPdf}","partitionId":"a\\ud800"}],"totalItems":1}`,
    })
    expectInvalidInput(response, /surrogate/)
  })

  it('refuses a publication whose subject holds a NUL or a lone surrogate, and stores nothing', async () => {
    // The demo partner (the second enterprise) publishes `information` with `partner-mail`.
    const token = await registry.token({ scopes: [SCOPES.publicationSender], cbe: DEMO.secondEnterprise })
    const before = await registry.pool.query('SELECT count(*)::int AS n FROM messages')
    for (const subject of ['nul\u0000here', 'lone\ud800']) {
      const response = await publish(registry.app, token, [
        jsonPart(
          messageToPublish({
            sender: { eboxType: 'enterprise', enterpriseNumber: DEMO.secondEnterprise },
            recipient: { eboxType: 'enterprise', enterpriseNumber: DEMO.enterprise },
            messageTypeId: 'information',
            senderApplicationId: 'partner-mail',
            subject: { fr: subject },
          }),
        ),
        filePart('file1', Buffer.from('%PDF-1.4\n')),
      ])
      expectInvalidInput(response, /messageToPublish\.subject\.fr/)
    }
    const after = await registry.pool.query('SELECT count(*)::int AS n FROM messages')
    expect(after.rows[0].n).toBe(before.rows[0].n)
  })

  it('answers 400 to webhook events with a NUL or a lone surrogate, so the federation stops retrying', async () => {
    const token = await registry.token({ scopes: [SCOPES.eventNotifications], cbe: undefined })
    for (const partitionId of ['p\u0000', 'p\udfff']) {
      const response = await registry.app.inject({
        method: 'POST',
        url: '/eventNotifications',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/cloudevents+json' },
        payload: JSON.stringify({
          specversion: '1.0',
          id: randomUUID(),
          source: 'https://federation.example/partition',
          type: 'be.eboxenterprise.v1.partition.removed',
          time: new Date(Date.now() - 60_000).toISOString(),
          data: { enterpriseNumber: DEMO.enterprise, partitionId },
        }),
      })
      expectInvalidInput(response)
    }
  })

  it('refuses a Transfer-Encoding other than chunked before the route runs', async () => {
    const response = await registry.app.inject({
      method: 'GET',
      url: '/ebox/messages',
      headers: { ...registry.main, 'transfer-encoding': 'gzip' },
    })
    expectInvalidInput(response, /Transfer-Encoding/)
  })

  it('refuses two Authorization headers instead of picking one', async () => {
    const raw = await rawExchange(
      `GET /ebox/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${registry.main.authorization.replace(/^/, 'Authorization: ')}\r\nAuthorization: Bearer other\r\n\r\n`,
    )
    expect(raw).toMatch(/^HTTP\/1\.1 400 /)
    expect(raw).toMatch(/"code":"INVALID_INPUT"/)
  })
})

/** Sends raw bytes and returns the whole answer (the connection is closed by the server). */
function rawExchange(bytes: string | Buffer): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => socket.end(bytes))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
    socket.on('error', reject)
  })
}

describe('errors Node raises before Fastify', () => {
  it.each([
    [
      'a control byte in a header value',
      'GET /ebox HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n',
      400,
      'INVALID_INPUT',
    ],
    ['a malformed request line', 'GET /ebox\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'INVALID_INPUT'],
    [
      'headers over the limit',
      `GET /ebox HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(70_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
  ])('answers %s with a StatusMessage', async (_what, bytes, status, code) => {
    const raw = await rawExchange(bytes)
    expect(raw.startsWith(`HTTP/1.1 ${status} `), raw.slice(0, 200)).toBe(true)
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))
    expect(Object.keys(body).sort()).toEqual(['code', 'environment', 'id', 'message'])
    expect(body.code).toBe(code)
  })

  it('answers an overlong path parameter 414 URI_TOO_LONG', async () => {
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        `${url}/ebox/messages/${'x'.repeat(5000)}`,
        { headers: registry.main },
        (response) => {
          let body = ''
          response.on('data', (chunk) => {
            body += chunk
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
        },
      )
      request.on('error', reject)
      request.end()
    })
    expect(status.status).toBe(414)
    expect(JSON.parse(status.body).code).toBe('URI_TOO_LONG')
  })
})
