import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseIdempotencyKey } from '../src/routes/publication.ts'
import {
  APP,
  CITIZEN,
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  OTHER_APP,
  OTHER_SENDER,
  type Part,
  publish,
  publisherToken,
  SENDER,
  seedPublicationData,
  sha256,
  storedState,
  TYPE_CITIZEN,
  TYPE_DAY,
  TYPE_MONTH,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const OFFSET_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/

let registry: TestRegistry
let token: string
/** What the last publication left for the audit trail (request.auditDetails). */
let details: unknown
beforeAll(async () => {
  registry = await startTestRegistry()
  registry.app.addHook('onResponse', async (request) => {
    if (request.routeOptions.url === '/ebox/messages' && request.method === 'POST')
      details = request.auditDetails
  })
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
})
afterAll(() => registry.close())

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

describe('publication: accepted', () => {
  it('publishes a message with two attachments (JSON first) and files it in GENERAL', async () => {
    const main = randomBytes(300_000)
    const annex = Buffer.from('annex,1\n')
    const response = await publish(registry.app, token, [
      jsonPart(
        messageToPublish({
          attachments: [
            {
              httpPartName: 'main',
              isMainContent: true,
              isAttachmentSigned: true,
              attachmentTitle: { nl: 'Loonbrief' },
              digest: { digestMethod: 'sha_256', digestValue: sha256(main) },
            },
            { httpPartName: 'annex', isMainContent: false },
          ],
          businessDataList: [{ key: 'period', values: [{ fr: 'Janvier' }] }],
          forTheAttentionOf: { ssin: '85073003328', label: 'Service du personnel' },
          isRegisteredMail: true,
          expirationDate: '2099-01-01T00:00:00Z', // ignored: the message type decides
        }),
      ),
      filePart('main', main, 'fiche%20de%20paie%20%C3%A9t%C3%A9.pdf'),
      filePart('annex', annex, 'annex.csv', 'text/csv'),
    ])
    expect(response.statusCode, response.body).toBe(201)
    const body = response.json()
    expect(body).toEqual({
      messageId: expect.stringMatching(UUID),
      expirationDate: expect.stringMatching(OFFSET_DATE_TIME),
    })
    expect(response.headers.location).toBe(`/ebox/messages/${body.messageId}`)

    const { rows } = await registry.pool.query(
      `SELECT m.*, to_char(m.expires_at AT TIME ZONE 'Europe/Brussels', 'YYYY-MM-DD HH24:MI:SS') AS expires_local,
              to_char((m.published_at AT TIME ZONE 'Europe/Brussels') + interval '2 months', 'YYYY-MM-DD HH24:MI:SS') AS expected_local
       FROM messages m WHERE message_id = $1`,
      [body.messageId],
    )
    const message = rows[0]
    expect(message).toMatchObject({
      recipient_type: 'enterprise',
      recipient_id: CONSULTED_ENTERPRISE,
      partition_id: 'GENERAL',
      sender_enterprise_number: SENDER,
      sender_application_id: APP,
      message_type_id: TYPE_MONTH,
      registered_mail: true,
      subject: { fr: 'Votre fiche de paie', nl: 'Uw loonbrief', de: 'Votre fiche de paie' },
      for_attention_ssin: '85073003328',
      business_data: [{ key: 'period', values: [{ fr: 'Janvier', nl: 'Janvier', de: 'Janvier' }] }],
      idempotency_key: null,
    })
    expect(message.expires_local).toBe(message.expected_local)
    expect(new Date(body.expirationDate).getTime()).toBe(message.expires_at.getTime())
    expect(message.search_fr).toContain('votre fiche de paie')
    expect(message.search_fr).toContain('service du personnel')

    const attachments = await registry.pool.query(
      'SELECT * FROM attachments WHERE message_id = $1 ORDER BY position',
      [body.messageId],
    )
    expect(attachments.rows).toMatchObject([
      {
        attachment_id: '1',
        file_name: 'fiche de paie été.pdf',
        main_content: true,
        media_type: 'application/pdf',
        size_bytes: String(main.length),
        digest: sha256(main),
        signed: true,
        title: { nl: 'Loonbrief', fr: 'Loonbrief', de: 'Loonbrief' },
      },
      {
        attachment_id: '2',
        file_name: 'annex.csv',
        main_content: false,
        media_type: 'text/csv',
        digest: sha256(annex),
      },
    ])
    // Through the store of the run (CONTENT_STORE=postgres or s3).
    expect(
      await collect(await registry.app.contentStore.open(attachments.rows[0].content_id, main.length)),
    ).toEqual(main)

    const events = await registry.pool.query(
      'SELECT event_type, payload FROM outbox_events WHERE message_id = $1',
      [body.messageId],
    )
    expect(events.rows).toEqual([
      {
        event_type: 'newDocument',
        payload: expect.objectContaining({
          eventType: 'newDocument',
          enterpriseId: CONSULTED_ENTERPRISE,
          messageId: body.messageId,
          receiptDate: expect.stringMatching(OFFSET_DATE_TIME),
          expirationDate: body.expirationDate,
          registeredMail: true,
          messageTypeId: TYPE_MONTH,
          senderOrganizationId: SENDER,
          senderApplicationId: APP,
        }),
      },
    ])
  })

  it('accepts the JSON part last, after the files it describes', async () => {
    const data = randomBytes(50_000)
    const response = await publish(registry.app, token, [
      filePart('file1', data),
      jsonPart(
        messageToPublish({
          attachments: [
            {
              httpPartName: 'file1',
              isMainContent: true,
              digest: { digestMethod: 'sha_256', digestValue: sha256(data) },
            },
          ],
        }),
      ),
    ])
    expect(response.statusCode, response.body).toBe(201)
  })

  it('accepts messageToPublish sent as a JSON file part (curl -F messageToPublish=@message.json)', async () => {
    const response = await publish(registry.app, token, [
      {
        name: 'messageToPublish',
        data: Buffer.from(JSON.stringify(messageToPublish())),
        filename: 'm.json',
        contentType: 'application/json',
      },
      filePart('file1', Buffer.from('%PDF-1.4')),
    ])
    expect(response.statusCode, response.body).toBe(201)
  })

  it('accepts a message whose body is the main content, without attachments', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(
        messageToPublish({
          attachments: undefined,
          isBodyMainContent: true,
          bodyContent: { nl: 'Zie bijlage' },
          messageTypeId: TYPE_DAY,
        }),
      ),
    ])
    expect(response.statusCode, response.body).toBe(201)
    const { rows } = await registry.pool.query(
      `SELECT body, round(extract(epoch FROM expires_at - published_at) / 86400) AS days FROM messages WHERE message_id = $1`,
      [response.json().messageId],
    )
    expect(rows[0].body).toEqual({ nl: 'Zie bijlage', fr: 'Zie bijlage', de: 'Zie bijlage' })
    expect(Number(rows[0].days)).toBeGreaterThanOrEqual(10) // 10 Brussels calendar days (± a DST hour)
  })

  it('answers NO_DIGITAL_USER (still 201) for a recipient e-Box Preferences does not know, and makes the e-Box known', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish({ recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE } })),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode, response.body).toBe(201)
    expect(response.json()).toMatchObject({ code: 'NO_DIGITAL_USER', message: expect.any(String) })
    const { rows } = await registry.pool.query('SELECT * FROM eboxes WHERE recipient_id = $1', [
      NEW_ENTERPRISE,
    ])
    expect(rows).toMatchObject([{ recipient_type: 'enterprise', last_consultation_at: null }])
  })

  it('publishes to a citizen (SSIN), without an EES event', async () => {
    const response = await publish(registry.app, token, [
      jsonPart(
        messageToPublish({ recipient: { eboxType: 'citizen', ssin: CITIZEN }, messageTypeId: TYPE_CITIZEN }),
      ),
      filePart('file1', Buffer.from('%PDF')),
    ])
    expect(response.statusCode, response.body).toBe(201)
    const { messageId } = response.json()
    const events = await registry.pool.query('SELECT 1 FROM outbox_events WHERE message_id = $1', [messageId])
    expect(events.rowCount).toBe(0)
    const { rows } = await registry.pool.query(
      'SELECT recipient_type, recipient_id FROM messages WHERE message_id = $1',
      [messageId],
    )
    expect(rows).toEqual([{ recipient_type: 'citizen', recipient_id: CITIZEN }])
  })

  it('records the audit details of the publication', async () => {
    const data = Buffer.from('%PDF-audit')
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', data),
    ])
    expect(response.statusCode).toBe(201)
    expect(details).toEqual({
      messageId: response.json().messageId,
      attachments: [
        { attachmentId: '1', size: data.length / 1024, digestValue: sha256(data), digestMethod: 'sha_256' },
      ],
    })
    // Written in the publication's own transaction, once.
    const { rows } = await registry.pool.query(
      `SELECT method, url, status, details FROM audit_records WHERE details->>'messageId' = $1`,
      [response.json().messageId],
    )
    expect(rows).toEqual([{ method: 'POST', url: '/ebox/messages', status: 201, details }])
  })
})

describe('publication: refused, nothing stored', () => {
  const pdf = Buffer.from('%PDF-1.7 test')
  const withMessage = (overrides: Record<string, unknown>, files: Part[] = [filePart('file1', pdf)]) => [
    jsonPart(messageToPublish(overrides)),
    ...files,
  ]

  const cases: { name: string; parts: () => Part[]; status: number; code: string; message?: RegExp }[] = [
    {
      name: 'JSON part that is not JSON',
      parts: () => [{ name: 'messageToPublish', value: '{nope' }, filePart('file1', pdf)],
      status: 400,
      code: 'INVALID_INPUT',
      message: /not valid JSON/,
    },
    {
      name: 'JSON part declared application/json but invalid',
      parts: () => [
        { name: 'messageToPublish', value: '{nope', contentType: 'application/json' },
        filePart('file1', pdf),
      ],
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'schema violation (no subject)',
      parts: () => withMessage({ subject: undefined }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /subject/,
    },
    {
      name: 'schema violation (unknown property)',
      parts: () => withMessage({ colour: 'blue' }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'no messageToPublish part',
      parts: () => [filePart('file1', pdf)],
      status: 400,
      code: 'INVALID_INPUT',
      message: /missing/,
    },
    {
      name: 'a file part no attachment names (JSON first)',
      parts: () => withMessage({}, [filePart('file1', pdf), filePart('extra', pdf)]),
      status: 400,
      code: 'INVALID_INPUT',
      message: /extra/,
    },
    {
      name: 'a file part no attachment names (JSON last)',
      parts: () => [filePart('extra', pdf), filePart('file1', pdf), jsonPart(messageToPublish())],
      status: 400,
      code: 'INVALID_INPUT',
      message: /extra/,
    },
    {
      name: 'an attachment without its part',
      parts: () =>
        withMessage({
          attachments: [
            { httpPartName: 'file1', isMainContent: true },
            { httpPartName: 'file2', isMainContent: false },
          ],
        }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /file2/,
    },
    {
      name: 'the same part twice',
      parts: () => withMessage({}, [filePart('file1', pdf), filePart('file1', pdf)]),
      status: 400,
      code: 'INVALID_INPUT',
      message: /twice/,
    },
    {
      name: 'two attachments with one httpPartName',
      parts: () =>
        withMessage({
          attachments: [
            { httpPartName: 'file1', isMainContent: true },
            { httpPartName: 'file1', isMainContent: false },
          ],
        }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'no main content',
      parts: () => withMessage({ attachments: [{ httpPartName: 'file1', isMainContent: false }] }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /No main content/,
    },
    {
      name: 'two main contents',
      parts: () => withMessage({ isBodyMainContent: true, bodyContent: { fr: 'x' } }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /Too many main contents/,
    },
    {
      name: 'body as main content without a body',
      parts: () => withMessage({ attachments: [], isBodyMainContent: true }, []),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'digest of other bytes (JSON first)',
      parts: () =>
        withMessage({
          attachments: [
            {
              httpPartName: 'file1',
              isMainContent: true,
              digest: { digestMethod: 'sha_256', digestValue: sha256(Buffer.from('other')) },
            },
          ],
        }),
      status: 400,
      code: 'DIGEST_DO_NOT_MATCH',
    },
    {
      name: 'digest of other bytes (JSON last)',
      parts: () => [
        filePart('file1', pdf),
        jsonPart(
          messageToPublish({
            attachments: [
              {
                httpPartName: 'file1',
                isMainContent: true,
                digest: { digestMethod: 'sha_256', digestValue: sha256(Buffer.from('other')) },
              },
            ],
          }),
        ),
      ],
      status: 400,
      code: 'DIGEST_DO_NOT_MATCH',
    },
    {
      name: 'digest in hex',
      parts: () =>
        withMessage({
          attachments: [
            {
              httpPartName: 'file1',
              isMainContent: true,
              digest: {
                digestMethod: 'sha_256',
                digestValue: Buffer.from(sha256(pdf), 'base64url').toString('hex'),
              },
            },
          ],
        }),
      status: 400,
      code: 'DIGEST_DO_NOT_MATCH',
    },
    {
      name: 'digest in padded base64',
      parts: () =>
        withMessage({
          attachments: [
            {
              httpPartName: 'file1',
              isMainContent: true,
              digest: {
                digestMethod: 'sha_256',
                digestValue: Buffer.from(sha256(pdf), 'base64url').toString('base64'),
              },
            },
          ],
        }),
      status: 400,
      code: 'DIGEST_DO_NOT_MATCH',
    },
    {
      name: 'media type not allowed',
      parts: () => withMessage({}, [filePart('file1', pdf, 'x.png', 'image/png')]),
      status: 400,
      code: 'INVALID_INPUT',
      message: /media type/,
    },
    {
      name: 'file part without a file name',
      parts: () => withMessage({}, [filePart('file1', pdf, '')]),
      status: 400,
      code: 'INVALID_INPUT',
      message: /file name/,
    },
    {
      name: 'file name over 255 characters',
      parts: () => withMessage({}, [filePart('file1', pdf, `${'a'.repeat(252)}.pdf`)]),
      status: 400,
      code: 'INVALID_INPUT',
      message: /file name/,
    },
    {
      name: 'an unexpected form field',
      parts: () => [...withMessage({}), { name: 'note', value: 'hello' }],
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'recipient enterprise number failing mod 97',
      parts: () => withMessage({ recipient: { eboxType: 'enterprise', enterpriseNumber: '0123456789' } }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /enterprise number/,
    },
    {
      name: 'recipient SSIN failing its check',
      parts: () =>
        withMessage({ recipient: { eboxType: 'citizen', ssin: '84022711080' }, messageTypeId: TYPE_CITIZEN }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /SSIN/,
    },
    {
      name: 'recipient with both identifiers',
      parts: () =>
        withMessage({
          recipient: { eboxType: 'enterprise', enterpriseNumber: CONSULTED_ENTERPRISE, ssin: CITIZEN },
        }),
      status: 400,
      code: 'INVALID_INPUT',
    },
    {
      name: 'forTheAttentionOf.ssin failing its check',
      parts: () => withMessage({ forTheAttentionOf: { ssin: '12345678901', label: 'HR' } }),
      status: 400,
      code: 'INVALID_INPUT',
      message: /forTheAttentionOf/,
    },
    {
      name: 'sender other than the caller',
      parts: () => withMessage({ sender: { eboxType: 'enterprise', enterpriseNumber: OTHER_SENDER } }),
      status: 400,
      code: 'INVALID_SENDER',
    },
    {
      name: 'unknown message type (INVALID_SENDER, as the reference DP)',
      parts: () => withMessage({ messageTypeId: 'nope' }),
      status: 400,
      code: 'INVALID_SENDER',
      message: /^Invalid message configuration: unknown messageTypeId "nope"/,
    },
    {
      name: 'unknown sender application (INVALID_SENDER, as the reference DP)',
      parts: () => withMessage({ senderApplicationId: 'nope' }),
      status: 400,
      code: 'INVALID_SENDER',
      message: /^Invalid message configuration: unknown senderApplicationId "nope"/,
    },
    {
      name: "another organisation's application",
      parts: () => withMessage({ senderApplicationId: OTHER_APP }),
      status: 400,
      code: 'INVALID_SENDER',
      message: /configuration/,
    },
    {
      name: 'message type not configured for citizens',
      parts: () => withMessage({ recipient: { eboxType: 'citizen', ssin: CITIZEN } }),
      status: 400,
      code: 'INVALID_SENDER',
      message: /citizen/,
    },
    {
      name: 'message type for citizens sent to an enterprise',
      parts: () => withMessage({ messageTypeId: TYPE_CITIZEN }),
      status: 400,
      code: 'INVALID_SENDER',
      message: /enterprise/,
    },
  ]

  cases.push({
    name: 'messageToPublish over 1 MiB',
    parts: () =>
      withMessage({
        businessDataList: [{ key: 'k', values: [{ fr: 'x'.repeat(256) }] }],
        pad: 'y'.repeat(1024 * 1024),
      }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: /messageToPublish/,
  })

  let before: Record<string, number>
  beforeEach(async () => {
    before = await storedState(registry.pool)
  })

  it.each(cases)('$name → $status $code', async ({ parts, status, code, message }) => {
    const response = await publish(registry.app, token, parts())
    expect(response.statusCode, response.body).toBe(status)
    expect(response.json()).toMatchObject({ code, id: expect.stringMatching(UUID), environment: 'test' })
    if (message) expect(response.json().message).toMatch(message)
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('refuses a body that is not multipart (415)', async () => {
    const response = await registry.app.inject({
      method: 'POST',
      url: '/ebox/messages',
      headers: { authorization: `Bearer ${token}` },
      payload: messageToPublish(),
    })
    expect(response.statusCode).toBe(415)
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('refuses a malformed multipart body', async () => {
    const response = await registry.app.inject({
      method: 'POST',
      url: '/ebox/messages',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'multipart/form-data; boundary=xyz' },
      payload: '--xyz\r\nContent-Disposition: form-data; name="messageToPublish"\r\n\r\n{"a":',
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('INVALID_INPUT')
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('refuses a token without a publication scope (403) and no token (401)', async () => {
    const consumer = await registry.token({ scopes: [SCOPES.documentConsumer] })
    const parts = withMessage({})
    expect((await publish(registry.app, consumer, parts)).statusCode).toBe(403)
    const anonymous = await registry.app.inject({ method: 'POST', url: '/ebox/messages' })
    expect(anonymous.statusCode).toBe(401)
  })

  it('refuses a representative token publishing without On-Behalf-Of-Enterprise-Number', async () => {
    const representative = await registry.token({ scopes: [SCOPES.representativePublication], cbe: SENDER })
    const response = await publish(registry.app, representative, withMessage({}))
    expect(response.statusCode).toBe(403)
    expect(response.json().code).toBe('FORBIDDEN')
  })

  it('refuses On-Behalf-Of-Enterprise-Number without the representative scope', async () => {
    const response = await publish(
      registry.app,
      token,
      withMessage({ sender: { eboxType: 'enterprise', enterpriseNumber: OTHER_SENDER } }),
      {
        'on-behalf-of-enterprise-number': OTHER_SENDER,
      },
    )
    expect(response.statusCode).toBe(403)
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('refuses a malformed Idempotency-Key', async () => {
    const response = await publish(registry.app, token, withMessage({}), { 'idempotency-key': 'not-quoted' })
    expect(response.statusCode).toBe(400)
    expect(response.json().message).toMatch(/Idempotency-Key/)
    expect(await storedState(registry.pool)).toEqual(before)
  })
})

describe('Idempotency-Key', () => {
  it('parses RFC 8941 strings', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined()
    expect(parseIdempotencyKey('"8e03978e-40d5-43e8-bc93-6894a57f9324"')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    )
    expect(parseIdempotencyKey('"a \\"quoted\\" \\\\ key"')).toBe('a "quoted" \\ key')
    for (const bad of [
      'plain',
      '""',
      '"unterminated',
      '"tab\there"',
      '"é"',
      `"${'k'.repeat(256)}"`,
      '"a\\b"',
    ]) {
      expect(() => parseIdempotencyKey(bad), bad).toThrow(/Idempotency-Key/)
    }
  })

  it('answers 409 for a second publication with the same key, sender and application, whatever its content', async () => {
    const key = { 'idempotency-key': '"order-2024-0001"' }
    const first = await publish(
      registry.app,
      token,
      [jsonPart(messageToPublish()), filePart('file1', Buffer.from('%PDF one'))],
      key,
    )
    expect(first.statusCode, first.body).toBe(201)
    const before = await storedState(registry.pool)
    const again = await publish(
      registry.app,
      token,
      [
        jsonPart(messageToPublish({ subject: { fr: 'Autre chose' } })),
        filePart('file1', Buffer.from('%PDF two')),
      ],
      key,
    )
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('DUPLICATE_PUBLICATION')
    expect(await storedState(registry.pool)).toEqual(before)
    // JSON last: the files are stored first, then refused and rolled back.
    const last = await publish(
      registry.app,
      token,
      [filePart('file1', Buffer.from('%PDF three')), jsonPart(messageToPublish())],
      key,
    )
    expect(last.statusCode).toBe(409)
    expect(await storedState(registry.pool)).toEqual(before)
  })

  it('is scoped to the sender application: the same key from another application publishes', async () => {
    await registry.pool.query(
      `INSERT INTO sender_applications (application_id, organization_id, name) VALUES ('secondApp', $1, '{"fr":"2"}')`,
      [SENDER],
    )
    await registry.pool.query(`INSERT INTO sender_configurations VALUES ('secondApp', $1, 'enterprise')`, [
      TYPE_MONTH,
    ])
    const key = { 'idempotency-key': '"shared-key"' }
    const first = await publish(
      registry.app,
      token,
      [jsonPart(messageToPublish()), filePart('file1', Buffer.from('%PDF'))],
      key,
    )
    const second = await publish(
      registry.app,
      token,
      [
        jsonPart(messageToPublish({ senderApplicationId: 'secondApp' })),
        filePart('file1', Buffer.from('%PDF')),
      ],
      key,
    )
    expect([first.statusCode, second.statusCode]).toEqual([201, 201])
  })
})

describe('stored content', () => {
  it('streams the published bytes back unchanged', async () => {
    const data = randomBytes(1_000_003)
    const response = await publish(registry.app, token, [
      jsonPart(messageToPublish()),
      filePart('file1', data),
    ])
    expect(response.statusCode).toBe(201)
    const { rows } = await registry.pool.query(
      `SELECT a.content_id, c.size_bytes FROM attachments a JOIN contents c USING (content_id) WHERE a.message_id = $1`,
      [response.json().messageId],
    )
    expect(Number(rows[0].size_bytes)).toBe(data.length)
    expect(
      (await collect(await registry.app.contentStore.open(rows[0].content_id, data.length))).equals(data),
    ).toBe(true)
  })
})
