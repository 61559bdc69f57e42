import { DEMO } from '@ebox/demo-data'
import fc from 'fast-check'
import { bodyFor } from './bodies.ts'
import type { JsonSchema, Operation, Parameter } from './openapi.ts'
import { ROLES, type Role } from './roles.ts'
import { aroundValid, encodeUrlValue, hostileString, urlEncoding } from './strings.ts'
import type { WireRequest } from './wire.ts'

/**
 * One generated request for one operation. Header values may hold `{{token}}`: the bearer token of `role`, filled
 * in when sent (regression cases are replayed with freshly minted tokens).
 */
export interface FuzzCase {
  operation: string
  role: Role
  request: WireRequest
  /** The path left the operation's template (`..`, `%2F`, an overlong id): its answers are not the operation's. */
  offTemplate: boolean
}

export const TOKEN = '{{token}}'

const allMessageIds = [...Object.values(DEMO.messages).flat(), ...Object.values(DEMO.otherMessages)]
const refIds = [
  ...DEMO.referenceData.senderOrganizations,
  ...DEMO.referenceData.senderApplications,
  ...DEMO.referenceData.messageTypes,
]

/** Values the service knows, per parameter name: valid requests reach the database and the handlers' logic. */
const KNOWN: Record<string, readonly string[]> = {
  messageId: allMessageIds,
  attachmentId: [DEMO.mainAttachmentId, DEMO.annexAttachmentId, '3'],
  id: refIds,
  imageId: ['logo', 'logo-nl', 'logo-fr', 'logo-de', 'missing'],
  messageTypeId: DEMO.referenceData.messageTypes,
  senderOrganizationId: DEMO.referenceData.senderOrganizations,
  senderApplicationId: DEMO.referenceData.senderApplications,
  partitionId: Object.values(DEMO.partitions),
  q: ['some', 'épinards', 'tva/778', 'dupont'],
  'on-behalf-of-enterprise-number': [DEMO.enterprise, DEMO.secondEnterprise, '0406.798.006', '0000000000'],
  'idempotency-key': ['"4f7c2b"', 'unquoted', '""', '"a\\"b"'],
}

function dateValues(format: string): fc.Arbitrary<string> {
  const day = fc.date({ min: new Date('1900-01-01'), max: new Date('2200-12-31'), noInvalidDate: true })
  return format === 'date'
    ? day.map((date) => date.toISOString().slice(0, 10))
    : day.map((date) => date.toISOString())
}

/** A plausible value for a parameter's schema, boundaries included. */
export function validValue(parameter: Pick<Parameter, 'name' | 'schema'>): fc.Arbitrary<string> {
  const { schema, name } = parameter
  const known = KNOWN[name]
  const choices: fc.Arbitrary<string>[] = []
  if (known) choices.push(fc.constantFrom(...known))
  const enumValues = (schema.enum ??
    (schema.anyOf as JsonSchema[] | undefined)?.flatMap((item) => (item.enum as unknown[]) ?? [])) as
    | unknown[]
    | undefined
  if (enumValues && enumValues.length > 0) choices.push(fc.constantFrom(...enumValues.map(String)))
  if (schema.type === 'integer' || schema.type === 'number') {
    const min = typeof schema.minimum === 'number' ? schema.minimum : -1000
    const max = typeof schema.maximum === 'number' ? schema.maximum : 1000
    choices.push(fc.integer({ min, max }).map(String))
    choices.push(fc.constantFrom(min, max, min - 1, max + 1, 0, -1, 2 ** 31, 2 ** 53 + 1).map(String))
    choices.push(fc.constantFrom('1.5', '1e3', '0x10', ' 1', '1 ', 'abc', '', '-0', 'Infinity'))
  }
  if (schema.type === 'boolean') choices.push(fc.constantFrom('true', 'false', '1', '0', 'yes', 'TRUE', ''))
  if (schema.format === 'date' || schema.format === 'date-time') {
    choices.push(dateValues(String(schema.format)))
    choices.push(
      fc.constantFrom(
        '0000-01-01',
        '0001-01-01',
        '9999-12-31',
        '0000-12-31T23:59:59Z',
        '9999-12-31T23:59:59.999Z',
        '1969-12-31',
        '2024-02-29',
        '2023-02-29',
      ),
    )
  }
  if (choices.length === 0) {
    const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 40
    choices.push(fc.string({ minLength: 1, maxLength: Math.min(maxLength, 40) }))
  }
  return fc.oneof(...choices)
}

/** `value` about one time in three, `absent` otherwise. */
function sometimes<T, A>(value: fc.Arbitrary<T>, absent: A): fc.Arbitrary<T | A> {
  return fc.oneof({ weight: 2, arbitrary: fc.constant(absent) }, { weight: 1, arbitrary: value })
}

interface PathPlan {
  path: string
  offTemplate: boolean
}

/** The operation's path with each `{param}` filled (encoded), or bent out of its template. */
function pathArbitrary(operation: Operation, clean: boolean): fc.Arbitrary<PathPlan> {
  const names = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]!)
  const segment = (name: string) => {
    const parameter = operation.parameters.find((p) => p.in === 'path' && p.name === name) ?? {
      name,
      schema: {},
    }
    if (clean)
      return validValue(parameter).map((value) => ({ text: encodeUrlValue(value, 'utf8'), bent: false }))
    return fc.oneof(
      {
        weight: 8,
        arbitrary: fc
          .tuple(aroundValid(validValue(parameter)), urlEncoding)
          .map(([value, encoding]) => ({ text: encodeUrlValue(value, encoding), bent: false })),
      },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom(
            '..',
            '.',
            '%2e%2e',
            '..%2F..%2Fstatistics',
            '%2F',
            'a%2Fb',
            '%00',
            '',
            'x'.repeat(101),
            'x'.repeat(5000),
            `${DEMO.messages.mainPdf}%2F..`,
            '%',
            '%C0%AE%C0%AE',
          )
          .map((text) => ({ text, bent: true })),
      },
    )
  }
  return fc
    .tuple(
      ...names.map(segment),
      fc.oneof(
        { weight: clean ? 1 : 12, arbitrary: fc.constant('') },
        { weight: clean ? 0 : 1, arbitrary: fc.constantFrom('/', '//', '/..', '/.', '%2F') },
      ),
    )
    .map((values) => {
      let path = operation.path
      let bent = false
      names.forEach((name, index) => {
        const value = values[index] as { text: string; bent: boolean }
        path = path.replace(`{${name}}`, value.text)
        bent ||= value.bent
      })
      const suffix = values[names.length] as string
      return { path: path + suffix, offTemplate: bent || suffix !== '' }
    })
}

/** The query: declared parameters (some left out, some twice), unknown ones, and raw oddities. */
function queryArbitrary(operation: Operation, clean: boolean): fc.Arbitrary<string> {
  const declared = operation.parameters.filter((p) => p.in === 'query')
  if (clean) {
    const pairs = declared.map((parameter) =>
      sometimes(
        validValue(parameter).map((value) => [`${parameter.name}=${encodeUrlValue(value, 'utf8')}`]),
        [] as string[],
      ),
    )
    return fc.tuple(...pairs).map((chosen) => {
      const all = chosen.flat()
      return all.length > 0 ? `?${all.join('&')}` : ''
    })
  }
  const pair = (name: string, value: fc.Arbitrary<string>) =>
    fc
      .tuple(value, urlEncoding, fc.integer({ min: 1, max: 3 }))
      .map(([text, encoding, times]) =>
        Array.from({ length: times === 3 ? 2 : 1 }, () => `${name}=${encodeUrlValue(text, encoding)}`),
      )
  const declaredPairs = declared.map((parameter) =>
    sometimes(pair(parameter.name, aroundValid(validValue(parameter))), [] as string[]),
  )
  const unknownPairs = fc.array(
    fc.oneof(
      pair('access_token', fc.constant(TOKEN)),
      fc
        .tuple(hostileString, hostileString, urlEncoding)
        .map(([name, value, encoding]) => [
          `${encodeUrlValue(name, encoding)}=${encodeUrlValue(value, encoding)}`,
        ]),
      fc.constantFrom(
        ['__proto__[x]=1'],
        ['constructor[prototype][x]=1'],
        ['a[]=1&a[]=2'],
        ['&&&'],
        ['='],
        ['%'],
        ['page'],
        ['page=1&page=2&page=3'],
        [`${'x'.repeat(3000)}=1`],
      ),
    ),
    { maxLength: 2 },
  )
  return fc.tuple(fc.tuple(...declaredPairs), unknownPairs).map(([declaredValues, unknown]) => {
    const all = [...declaredValues.flat(), ...unknown.flat()]
    return all.length > 0 ? `?${all.join('&')}` : ''
  })
}

/** Header values as they come: valid, duplicated, with control bytes (which Node's parser refuses), huge. */
function headerValue(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return aroundValid(valid).map((value) => value.replace(/[\r\n]/g, ' '))
}

const ODD_HEADERS: [string, fc.Arbitrary<string>][] = [
  [
    'On-Behalf-Of-Enterprise-Number',
    headerValue(fc.constantFrom(...KNOWN['on-behalf-of-enterprise-number']!)),
  ],
  ['Idempotency-Key', headerValue(fc.constantFrom(...KNOWN['idempotency-key']!))],
  [
    'Range',
    headerValue(
      fc.constantFrom(
        'bytes=0-10',
        'bytes=-5',
        'bytes=10-0',
        'bytes=0-1,3-4',
        'bytes=99999999999999999999-',
        'bytes=0-',
        'items=0-1',
        'bytes=',
      ),
    ),
  ],
  ['If-None-Match', headerValue(fc.constantFrom('*', '"abc"', 'W/"abc"', '"a", "b"', '""', 'abc'))],
  ['Accept', headerValue(fc.constantFrom('application/json', '*/*', 'text/html', 'application/xml', ''))],
  ['Accept-Language', headerValue(fc.constantFrom('fr', 'nl-BE', 'de;q=0.5, en', '*', 'xx'))],
  ['X-Correlation-Id', headerValue(fc.constantFrom('abc-123', 'x'.repeat(129)))],
  ['Transfer-Encoding', fc.constantFrom('identity', 'gzip', 'chunked, chunked')],
  ['X-Forwarded-For', fc.constantFrom('1.2.3.4', '::1', 'garbage', '1.2.3.4, 5.6.7.8')],
]

const authorization: fc.Arbitrary<[string, string][]> = fc.oneof(
  { weight: 8, arbitrary: fc.constant<[string, string][]>([['Authorization', `Bearer ${TOKEN}`]]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<[string, string][]>(
      [['authorization', `bearer ${TOKEN}`]],
      [['Authorization', `Bearer  ${TOKEN}`]],
      [['Authorization', `Basic ${TOKEN}`]],
      [['Authorization', TOKEN]],
      [['Authorization', 'Bearer ']],
      [
        ['Authorization', `Bearer ${TOKEN}`],
        ['Authorization', 'Bearer other'],
      ],
      [['Authorization', `Bearer ${TOKEN}x`]],
    ),
  },
  {
    weight: 1,
    arbitrary: headerValue(fc.constant(`Bearer ${TOKEN}`)).map((v): [string, string][] => [
      ['Authorization', v],
    ]),
  },
)

/** Roles weighted towards the ones the operation accepts, so that most requests get past authentication. */
function roleArbitrary(operation: Operation, clean: boolean): fc.Arbitrary<Role> {
  const likely: Role[] = operation.path.startsWith('/eventNotifications')
    ? ['webhook']
    : operation.path.startsWith('/certification')
      ? ['certification']
      : operation.method === 'POST' && operation.path === '/ebox/messages'
        ? ['publisher', 'publisher', 'publisher', 'representative']
        : operation.path.startsWith('/ref')
          ? ['referenceData', 'consumer', 'publisher']
          : ['consumer', 'consumerSecond', 'citizen', 'summaryOnly']
  if (clean) return fc.constantFrom(...likely)
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...likely) },
    { weight: 1, arbitrary: fc.constantFrom(...ROLES) },
  )
}

/**
 * Every request the fuzzer sends for `operation`: two in five clean (valid in every part, so that requests reach
 * the handlers, the database and the success paths), the others bent anywhere.
 */
export function caseArbitrary(operation: Operation): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 2, arbitrary: someCase(operation, true) },
    { weight: 3, arbitrary: someCase(operation, false) },
  )
}

const IDEMPOTENCY_KEY = fc.uuid().map((uuid) => `"${uuid}"`)

function someCase(operation: Operation, clean: boolean): fc.Arbitrary<FuzzCase> {
  const declaredHeaders = operation.parameters
    .filter((p) => p.in === 'header')
    .map((parameter) =>
      clean
        ? parameter.name === 'idempotency-key'
          ? sometimes(
              IDEMPOTENCY_KEY.map((value): [string, string] => [parameter.name, value]),
              undefined,
            )
          : fc.constant(undefined)
        : sometimes(
            headerValue(validValue(parameter)).map((value): [string, string] => [parameter.name, value]),
            undefined,
          ),
    )
  const oddHeaders = fc
    .subarray(ODD_HEADERS, { maxLength: 2 })
    .chain((chosen) =>
      chosen.length === 0
        ? fc.constant<[string, string][]>([])
        : fc.tuple(...chosen.map(([name, value]) => value.map((v): [string, string] => [name, v]))),
    )
  const hugeHeader = fc.oneof(
    { weight: 40, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(17_000, 70_000)
        .map((size): [string, string] => ['X-Padding', 'p'.repeat(size)]),
    },
  )
  const method = fc.oneof(
    { weight: 20, arbitrary: fc.constant(operation.method) },
    { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'FOO') },
  )
  return fc
    .record({
      role: roleArbitrary(operation, clean),
      method: clean ? fc.constant(operation.method) : method,
      path: pathArbitrary(operation, clean),
      query: queryArbitrary(operation, clean),
      auth: clean ? fc.constant<[string, string][]>([['Authorization', `Bearer ${TOKEN}`]]) : authorization,
      declared: fc.tuple(...declaredHeaders),
      odd: clean ? fc.constant<[string, string][]>([]) : oddHeaders,
      huge: clean ? fc.constant(undefined) : hugeHeader,
      body: bodyFor(operation, clean),
    })
    .map(({ role, method, path, query, auth, declared, odd, huge, body }) => {
      const headers: [string, string][] = [
        ...(role === 'none' ? [] : auth),
        ...declared.filter((header): header is [string, string] => header !== undefined),
        ...odd,
        ...body.headers,
        ...(huge ? [huge] : []),
      ]
      return {
        operation: operation.key,
        role,
        request: { method, target: path.path + query, headers, body: body.bytes },
        offTemplate: path.offTemplate || method !== operation.method,
      }
    })
}
