import { createHash } from 'node:crypto'
import { DEMO } from '@ebox/demo-data'
import fc from 'fast-check'
import type { Operation } from './openapi.ts'
import { aroundValid, hostileString } from './strings.ts'

/** A request body and the headers that describe it (Content-Type, or none at all). */
export interface BodyPlan {
  headers: [string, string][]
  bytes?: Buffer
}

const contentType = (value: string | undefined): [string, string][] =>
  value === undefined ? [] : [['Content-Type', value]]

/** Text that is not JSON, or JSON that breaks parsers: truncated, nested deep, duplicated keys, prototype keys. */
const MALFORMED_JSON = [
  '',
  '{',
  '{"items":',
  '[',
  'null',
  '[]',
  '"x"',
  '0',
  '\u0000',
  '\ufeff{}',
  '{"a":1}{"b":2}',
  `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
  '{"items":[],"items":1}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1e999999}',
  '{"a":-0}',
  "{'a':1}",
]

/** A JSON document from `valid`, a JSON value of any shape, or bytes that are not JSON; under a chosen type. */
function jsonBody(
  valid: fc.Arbitrary<unknown>,
  types: readonly string[],
  clean: boolean,
): fc.Arbitrary<BodyPlan> {
  if (clean)
    return fc.tuple(valid, fc.constantFrom(...types)).map(([value, mediaType]) => ({
      headers: contentType(mediaType),
      bytes: Buffer.from(JSON.stringify(value), 'utf8'),
    }))
  const text = fc.oneof(
    { weight: 6, arbitrary: valid.map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
    { weight: 1, arbitrary: hostileString },
  )
  const type = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom<string | undefined>(...types) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<string | undefined>(
        undefined,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/json, text/plain',
        'application/jsonx',
        ';;',
        '',
        'application/octet-stream',
      ),
    },
  )
  return fc.tuple(text, type).map(([body, mediaType]) => ({
    headers: contentType(mediaType),
    bytes: Buffer.from(body, 'utf8'),
  }))
}

/** How a field's valid values are bent: not at all (clean requests), or with hostile text (aroundValid). */
type Bend = (valid: fc.Arbitrary<string>) => fc.Arbitrary<string>
const bendOf = (clean: boolean): Bend => (clean ? (valid) => valid : aroundValid)

/** PATCH /ebox/messages: MessagesToUpdate, bent (PATCH …/messageAction takes `{ isExecuted: true }`). */
const messagesToUpdate = (bend: Bend, clean: boolean) => {
  const messageId = bend(
    fc.constantFrom(...Object.values(DEMO.messages).flat(), ...Object.values(DEMO.otherMessages)),
  )
  const partitionId = bend(fc.constantFrom(...Object.values(DEMO.partitions)))
  return fc
    .array(
      fc.record(
        { messageId, visible: clean ? fc.boolean() : fc.oneof(fc.boolean(), fc.jsonValue()), partitionId },
        { requiredKeys: ['messageId'] },
      ),
      { minLength: clean ? 1 : 0, maxLength: 3 },
    )
    .chain((items) =>
      fc.record({
        items: fc.constant(items),
        totalItems: clean
          ? fc.constant(items.length)
          : fc.oneof(fc.constant(items.length), fc.integer({ min: -1, max: 200 })),
      }),
    )
}

const EVENT_PREFIX = 'be.eboxenterprise.v1'
const EVENT_TYPES = [
  'routingRule.created',
  'routingRule.updated',
  'routingRule.deleted',
  'partition.added',
  'partition.removed',
  'partitionUserRight.added',
  'partitionUserRight.removed',
].map((type) => `${EVENT_PREFIX}.${type}`)

const validEventTime = fc
  .date({ min: new Date('2020-01-01'), max: new Date(), noInvalidDate: true })
  .map((d) => d.toISOString())
const eventTime = fc.oneof(
  fc.date({ min: new Date('2020-01-01'), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '2024-02-30T00:00:00Z',
    '2024-01-01T00:00:00+25:00',
    '2024-01-01T00:00:00.1234567891Z',
  ),
  hostileString,
)

const enterpriseNumbers = fc.constantFrom(DEMO.enterprise, DEMO.secondEnterprise)

/** POST /eventNotifications: CloudEvents of every type the webhook knows, with hostile fields. */
const cloudEvent = (bend: Bend, clean: boolean) => {
  const partitionId = bend(fc.constantFrom(...Object.values(DEMO.partitions)))
  return fc.record(
    {
      specversion: bend(fc.constant('1.0')),
      id: bend(fc.uuid()),
      source: bend(fc.constant('https://federation.example/partitions')),
      type: bend(fc.constantFrom(...EVENT_TYPES)),
      time: clean ? validEventTime : eventTime,
      subject: bend(fc.constant('fuzz')),
      data: fc.record(
        {
          enterpriseNumber: bend(enterpriseNumbers),
          partitionId,
          ssin: bend(fc.constantFrom(DEMO.citizenSsin, '85073003328')),
          routingRuleId: clean
            ? fc.integer({ min: 1, max: 10_000 })
            : fc.oneof(fc.integer(), fc.constant(2 ** 53), fc.double()),
          orderedRoutingRules: fc.array(
            fc.record(
              {
                routingRuleId: fc.integer({ min: 1, max: 1000 }),
                partitionId,
                messageTypeId: bend(fc.constantFrom(...DEMO.referenceData.messageTypes)),
                senderApplicationId: bend(fc.constantFrom(...DEMO.referenceData.senderApplications)),
                senderOrganizationId: bend(fc.constantFrom(...DEMO.referenceData.senderOrganizations)),
              },
              { requiredKeys: ['routingRuleId', 'partitionId'] },
            ),
            { maxLength: 3 },
          ),
        },
        { requiredKeys: clean ? ['enterpriseNumber', 'partitionId', 'ssin', 'routingRuleId'] : [] },
      ),
    },
    { requiredKeys: ['specversion', 'id', 'source', 'type', 'time', 'data'] },
  )
}

const BOUNDARY = 'fuzzBoundary7MA4YWxkTrZu0gW'

interface Part {
  name: string
  filename?: string
  type?: string
  data: Buffer
}

function multipart(parts: Part[], boundary: string): Buffer {
  const pieces: Buffer[] = []
  for (const part of parts) {
    const filename = part.filename === undefined ? '' : `; filename="${part.filename}"`
    const type = part.type === undefined ? '' : `\r\nContent-Type: ${part.type}`
    pieces.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n`,
      ),
      part.data,
      Buffer.from('\r\n'),
    )
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(pieces)
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n')

/**
 * POST /ebox/messages: a publication the demo partner (the second enterprise) may make — `partner-mail`,
 * `information`, to the main e-Box — with its fields, file name, media type, digest and part layout bent.
 */
const publication = (bend: Bend, clean: boolean): fc.Arbitrary<BodyPlan> => {
  const wild = <T>(valid: T, arbitrary: fc.Arbitrary<T>) => (clean ? fc.constant(valid) : arbitrary)
  return fc
    .record({
      subject: bend(fc.constant('Fuzzed subject')),
      subjectLanguage: wild('fr', fc.constantFrom('fr', 'nl', 'de', 'en')),
      recipient: bend(fc.constant(DEMO.enterprise)),
      sender: wild(DEMO.secondEnterprise, aroundValid(enterpriseNumbers)),
      messageTypeId: bend(fc.constant('information')),
      senderApplicationId: bend(fc.constant('partner-mail')),
      partName: bend(fc.constant('file1')),
      filename: bend(fc.constant('letter.pdf')),
      mediaType: fc.oneof(
        fc.constant('application/pdf'),
        bend(fc.constantFrom('text/csv', 'image/png', 'application/pdf')),
      ),
      digest: wild<'right' | 'wrong' | 'hex' | 'none'>(
        'right',
        fc.constantFrom('right', 'wrong', 'hex', 'none'),
      ),
      businessValue: fc.option(bend(fc.constant('ref/123')), { freq: 2, nil: undefined }),
      layout: wild(
        'normal',
        fc.constantFrom(
          'normal',
          'normal',
          'normal',
          'file-first',
          'no-file',
          'no-json',
          'json-twice',
          'field-file',
        ),
      ),
      jsonAsFile: fc.boolean(),
      json: clean
        ? fc.constant(undefined)
        : fc.oneof(
            { weight: 8, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON) },
          ),
      boundary: clean
        ? fc.constant(BOUNDARY)
        : fc.oneof(
            { weight: 8, arbitrary: fc.constant(BOUNDARY) },
            { weight: 1, arbitrary: fc.constantFrom('', '"quoted"', 'x'.repeat(80), 'a b') },
            { weight: 1, arbitrary: hostileString.map((text) => text.replace(/[\r\n]/g, '')) },
          ),
      headerType: clean
        ? fc.constant('multipart/form-data')
        : fc.oneof(
            { weight: 8, arbitrary: fc.constant('multipart/form-data') },
            {
              weight: 1,
              arbitrary: fc.constantFrom(
                'application/json',
                'text/plain',
                'multipart/mixed',
                'multipart/form-data;',
              ),
            },
            { weight: 1, arbitrary: fc.constant(undefined) },
          ),
      truncate: clean
        ? fc.constant(undefined)
        : fc.oneof(
            { weight: 12, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.integer({ min: 0, max: 400 }) },
          ),
    })
    .map((plan) => {
      const digestValue = {
        right: createHash('sha256').update(PDF).digest('base64url'),
        wrong: createHash('sha256').update('other').digest('base64url'),
        hex: createHash('sha256').update(PDF).digest('hex'),
        none: undefined,
      }[plan.digest]
      const message = {
        sender: { eboxType: 'enterprise', enterpriseNumber: plan.sender },
        recipient: { eboxType: 'enterprise', enterpriseNumber: plan.recipient },
        subject: { [plan.subjectLanguage]: plan.subject },
        messageTypeId: plan.messageTypeId,
        senderApplicationId: plan.senderApplicationId,
        attachments: [
          {
            httpPartName: plan.partName,
            isMainContent: true,
            ...(digestValue && { digest: { digestMethod: 'sha_256', digestValue } }),
          },
        ],
        ...(plan.businessValue !== undefined && {
          businessDataList: [{ key: 'reference', values: [{ fr: plan.businessValue }] }],
        }),
      }
      const json = Buffer.from(plan.json ?? JSON.stringify(message), 'utf8')
      const jsonPart: Part = plan.jsonAsFile
        ? { name: 'messageToPublish', filename: 'message.json', type: 'application/json', data: json }
        : { name: 'messageToPublish', data: json }
      const filePart: Part = { name: plan.partName, filename: plan.filename, type: plan.mediaType, data: PDF }
      const parts: Part[] = {
        normal: [jsonPart, filePart],
        'file-first': [filePart, jsonPart],
        'no-file': [jsonPart],
        'no-json': [filePart],
        'json-twice': [jsonPart, jsonPart, filePart],
        'field-file': [jsonPart, { name: plan.partName, data: PDF }],
      }[plan.layout]
      let bytes = multipart(parts, plan.boundary)
      if (plan.truncate !== undefined) bytes = bytes.subarray(0, plan.truncate)
      const type = plan.headerType === undefined ? undefined : `${plan.headerType}; boundary=${plan.boundary}`
      return { headers: contentType(type), bytes }
    })
}

/** Mostly no body; sometimes one that the operation does not take. */
const strayBody: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<BodyPlan>({ headers: [] }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(hostileString, fc.constantFrom('application/json', 'text/plain', undefined))
      .map(([text, type]) => ({ headers: contentType(type), bytes: Buffer.from(text, 'utf8') })),
  },
)

/** The body of a request for `operation`: valid throughout when `clean`, bent anywhere otherwise. */
export function bodyFor(operation: Operation, clean: boolean): fc.Arbitrary<BodyPlan> {
  const bend = bendOf(clean)
  if (operation.method === 'POST' && operation.path === '/ebox/messages') return publication(bend, clean)
  if (operation.path === '/eventNotifications')
    return jsonBody(cloudEvent(bend, clean), ['application/cloudevents+json', 'application/json'], clean)
  if (operation.method === 'PATCH' && operation.path.endsWith('/messageAction'))
    return jsonBody(
      clean
        ? fc.constant({ isExecuted: true })
        : fc.oneof(
            fc.constant({ isExecuted: true }),
            fc.record({ isExecuted: fc.jsonValue() }),
            fc.jsonValue(),
          ),
      ['application/merge-patch+json', 'application/json'],
      clean,
    )
  if (operation.method === 'PATCH')
    return jsonBody(
      messagesToUpdate(bend, clean),
      ['application/json', 'application/merge-patch+json', 'application/json; charset=utf-8'],
      clean,
    )
  const declared = Object.keys(operation.body)
  if (declared.length > 0) return jsonBody(fc.jsonValue(), declared, clean)
  return clean ? fc.constant({ headers: [] }) : strayBody
}
