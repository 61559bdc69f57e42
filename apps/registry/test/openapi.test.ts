import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { UNIMPLEMENTED_OPERATIONS } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPENAPI_FILE } from '../write-openapi.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

const run = promisify(execFile)
const REDOCLY = fileURLToPath(new URL('../node_modules/.bin/redocly', import.meta.url))
const REDOCLY_CONFIG = fileURLToPath(new URL('../redocly.yaml', import.meta.url))

type Media = Record<string, unknown>
type Operation = {
  operationId?: string
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }
  responses: Record<string, { content?: Media }>
  security?: unknown[]
}
type Document = { info: { version: string }; paths: Record<string, Record<string, Operation>> }

let registry: DemoRegistry
let served: Document
beforeAll(async () => {
  registry = await startDemoRegistry()
  const response = await registry.app.inject({ method: 'GET', url: '/openapi.json' })
  expect(response.statusCode).toBe(200)
  served = response.json()
})
afterAll(() => registry.close())

const operations = () =>
  Object.entries(served.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  )

/** The served document's operation for a concrete URL (`{param}` segments match any segment). */
function operationOf(method: string, url: string): Operation {
  const segments = url.split('?')[0]!.split('/')
  for (const [path, methods] of Object.entries(served.paths)) {
    const template = path.split('/')
    if (template.length !== segments.length) continue
    if (template.every((part, i) => part.startsWith('{') || part === segments[i])) {
      const operation = methods[method.toLowerCase()]
      if (operation) return operation
    }
  }
  throw new Error(`${method} ${url}: not in the document`)
}

/** The answer's status is declared, and its Content-Type is one the document declares for that status. */
function expectDocumented(method: string, url: string, response: LightMyRequestResponse) {
  const declared = operationOf(method, url).responses[String(response.statusCode)]
  expect(declared, `${method} ${url} ${response.statusCode} is declared`).toBeDefined()
  const mediaType = String(response.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
  if (mediaType === '' || response.statusCode === 204 || response.statusCode === 304) {
    expect(declared?.content, `${method} ${url} ${response.statusCode} has no body`).toBeUndefined()
  } else {
    expect(Object.keys(declared?.content ?? {}), `${method} ${url} ${response.statusCode}`).toContain(
      mediaType,
    )
  }
}

describe('the OpenAPI document', () => {
  it('is the checked-in openapi.json (regenerate: pnpm --filter @ebox/registry openapi:write)', async () => {
    const file = JSON.parse(await readFile(OPENAPI_FILE, 'utf8')) as Document
    // The package version moves with releases; everything else must be what the routes declare.
    expect({ ...file, info: { ...file.info, version: 'x' } }).toEqual({
      ...served,
      info: { ...served.info, version: 'x' },
    })
  })

  it('names every operation once, secures every one but the public version, and gives a 2XX to the served ones', () => {
    const ids = operations().map(({ operation }) => operation.operationId)
    expect(ids.filter((id) => id === undefined)).toEqual([])
    expect(new Set(ids).size).toBe(ids.length)
    const unserved = new Set(UNIMPLEMENTED_OPERATIONS.map((operation) => operation.operationId))
    for (const { path, method, operation } of operations()) {
      const where = `${method} ${path}`
      const statuses = Object.keys(operation.responses)
      if (path === '/certification/version') expect(operation.security, where).toEqual([])
      else expect(operation.security, where).toEqual([{ bearer: [] }])
      if (unserved.has(operation.operationId!)) expect(statuses, where).toContain('501')
      else
        expect(
          statuses.some((status) => status.startsWith('2')),
          where,
        ).toBe(true)
      for (const status of ['400', '429', '500']) expect(statuses, `${where} ${status}`).toContain(status)
    }
  })

  it('declares the error responses of every consultation operation', () => {
    const expected: [string, string, string[]][] = [
      ['/ebox/messages', 'get', ['200', '400', '401', '403', '503']],
      ['/ebox/messages', 'patch', ['200', '400', '401', '403', '404', '415']],
      ['/ebox/messages/{messageId}', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments/{attachmentId}', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/attachments/{attachmentId}/content', 'get', ['200', '206', '404', '416']],
      ['/ebox/messages/{messageId}/body', 'get', ['200', '401', '403', '404']],
      ['/ebox/messages/{messageId}/paymentData', 'get', ['200', '401', '403', '404']],
      ['/ebox/statistics', 'get', ['200', '401', '403']],
      ['/ebox', 'get', ['200', '401', '403']],
      ['/referenceData/messageTypes', 'get', ['200', '304', '400', '401', '403']],
      ['/referenceData/messageTypes/{id}', 'get', ['200', '304', '401', '403', '404']],
      ['/referenceData/senderOrganizations/{id}/images/{imageId}/content', 'get', ['200', '304', '404']],
      ['/refData/senderOrganizations/{id}', 'get', ['200', '304', '401', '403', '404']],
      ['/certification/resetDataSet', 'post', ['204', '400', '401', '403']],
      ['/eventNotifications', 'post', ['204', '400', '401', '403', '413', '415']],
    ]
    for (const [path, method, statuses] of expected) {
      const operation = served.paths[path]?.[method]
      expect(operation, `${method} ${path}`).toBeDefined()
      for (const status of statuses)
        expect(operation?.responses, `${method} ${path} ${status}`).toHaveProperty(status)
    }
  })

  it('documents the publication body as the route reads it: multipart, messageToPublish and file parts', () => {
    const operation = served.paths['/ebox/messages']?.post
    expect(operation?.operationId).toBe('publishMessage')
    expect(Object.keys(operation?.requestBody?.content ?? {})).toEqual(['multipart/form-data'])
    const schema = operation?.requestBody?.content['multipart/form-data']?.schema
    expect(schema).toMatchObject({
      type: 'object',
      required: ['messageToPublish'],
      properties: { messageToPublish: { $ref: '#/components/schemas/MessageToPublish' } },
      additionalProperties: { type: 'string', format: 'binary' },
    })
    expect(served).toHaveProperty(['components', 'schemas', 'MessageToPublish', 'properties', 'attachments'])
    const events = served.paths['/eventNotifications']?.post
    expect(Object.keys(events?.requestBody?.content ?? {}).sort()).toEqual([
      'application/cloudevents+json',
      'application/json',
    ])
  })

  it('declares the media type of each answer the service gives', async () => {
    const { messages, mainAttachmentId } = DEMO
    const calls: [string, string, Record<string, string>?][] = [
      ['GET', '/ebox/messages'],
      ['GET', '/ebox/messages?page=0'],
      ['GET', `/ebox/messages/${messages.mainPdf}`],
      ['GET', '/ebox/messages/00000000-0000-4000-8000-000000000000'],
      ['GET', `/ebox/messages/${messages.mainPdf}/attachments`],
      ['GET', `/ebox/messages/${messages.mainPdf}/attachments/${mainAttachmentId}`],
      ['GET', `/ebox/messages/${messages.twoDocuments}/attachments/2/content`],
      ['GET', `/ebox/messages/${messages.twoDocuments}/attachments/2/content`, { range: 'bytes=0-9' }],
      ['GET', `/ebox/messages/${messages.bodyMainContent}/attachments/1/content`],
      ['GET', `/ebox/messages/${messages.bodyMainContent}/body`],
      ['GET', `/ebox/messages/${messages.paymentData}/paymentData`],
      ['GET', '/ebox/statistics'],
      ['GET', '/ebox'],
      ['GET', '/referenceData/messageTypes'],
      ['GET', `/referenceData/senderOrganizations/${DEMO.referenceData.organizationWithLanguageLogos}`],
      [
        'GET',
        `/referenceData/senderOrganizations/${DEMO.referenceData.organizationWithLanguageLogos}/images/logo-fr/content`,
      ],
      ['GET', '/certification/version'],
      ['GET', '/ebox/messageTemplates'],
    ]
    for (const [method, url, headers] of calls) {
      const response = await registry.app.inject({ method, url, headers: { ...registry.main, ...headers } })
      expectDocumented(method, url, response)
    }
    const update = await registry.app.inject({
      method: 'PATCH',
      url: '/ebox/messages',
      headers: { ...registry.main, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify({ items: [{ messageId: messages.mainPdf, visible: true }], totalItems: 1 }),
    })
    expect(update.statusCode).toBe(200)
    expectDocumented('PATCH', '/ebox/messages', update)
    const anonymous = await registry.app.inject({ method: 'GET', url: '/ebox/messages' })
    expect(anonymous.statusCode).toBe(401)
    expectDocumented('GET', '/ebox/messages', anonymous)
    const publication = await registry.app.inject({
      method: 'POST',
      url: '/ebox/messages',
      headers: { ...registry.main, 'content-type': 'application/json' },
      payload: '{}',
    })
    expect(publication.statusCode).toBe(403)
    expectDocumented('POST', '/ebox/messages', publication)
  })

  it('lints clean with @redocly/cli and the repository configuration (redocly.yaml)', async () => {
    const result = await run(
      REDOCLY,
      ['lint', OPENAPI_FILE, '--config', REDOCLY_CONFIG, '--format', 'json'],
      {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    ).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }))
    const report = JSON.parse(result.stdout) as {
      totals: { errors: number; warnings: number }
      problems: { message: string; ruleId: string; location: { pointer: string }[] }[]
    }
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
  }, 60_000)
})
