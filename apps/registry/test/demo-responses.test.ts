import {
  Attachment,
  Attachments,
  Body,
  EboxSummary,
  Message,
  Messages,
  MessageType,
  MessageTypes,
  PaymentData,
  SenderApplication,
  SenderApplications,
  SenderOrganization,
  SenderOrganizations,
  Statistics,
} from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import type { TSchema } from '@sinclair/typebox'
import { FormatRegistry } from '@sinclair/typebox/type'
import { Value } from '@sinclair/typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

// Formats of the contract, checked as the wire form demands.
const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  // hrefs are absolute under PUBLIC_BASE_URL (scheme and authority), then a path.
  'uri-reference': /^(https?:\/\/[A-Za-z0-9\-._~%:[\]]+)?\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*$/,
}
for (const [name, pattern] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (value) => pattern.test(value))
}

let registry: DemoRegistry
const responses: { url: string; body: unknown; schema: TSchema }[] = []

/** Every JSON answer the demo data set gives, for the three e-Boxes and the reference data. */
beforeAll(async () => {
  registry = await startDemoRegistry()
  const collect = async (url: string, schema: TSchema, headers = registry.main) => {
    const response = await registry.get(url, headers)
    expect(response.statusCode, url).toBe(200)
    const body = response.json()
    responses.push({ url, body, schema })
    return body
  }
  for (const headers of [registry.main, registry.second, registry.citizen]) {
    const list = await collect('/ebox/messages?pageSize=100&expiredBefore=2999-01-01', Messages, headers)
    for (const message of list.items) {
      const base = `/ebox/messages/${message.messageId}`
      await collect(base, Message, headers)
      await collect(`${base}/attachments`, Attachments, headers)
      for (const attachment of message.attachments.items) {
        await collect(`${base}/attachments/${attachment.attachmentId}`, Attachment, headers)
      }
      if (message.isBodyMainContent) await collect(`${base}/body`, Body, headers)
      if (message.paymentData) await collect(`${base}/paymentData`, PaymentData, headers)
    }
    await collect('/ebox/statistics', Statistics, headers)
    await collect('/ebox', EboxSummary, headers)
  }
  for (const [collection, list, item] of [
    ['messageTypes', MessageTypes, MessageType],
    ['senderApplications', SenderApplications, SenderApplication],
    ['senderOrganizations', SenderOrganizations, SenderOrganization],
  ] as const) {
    const body = await collect(`/referenceData/${collection}?pageSize=100`, list)
    for (const entry of body.items) {
      const id = entry.messageTypeId ?? entry.applicationId ?? entry.organizationId
      await collect(`/referenceData/${collection}/${id}`, item)
    }
  }
})
afterAll(() => registry.close())

/** Walks a JSON value, calling `visit` with each node and its JSON pointer. */
function walk(
  value: unknown,
  visit: (node: unknown, pointer: string, key: string) => void,
  pointer = '',
  key = '',
) {
  visit(value, pointer, key)
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, visit, `${pointer}/${index}`, key)
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, visit, `${pointer}/${k}`, k)
  }
}

const LANGUAGES = ['nl', 'fr', 'de']
const ENTERPRISE_KEYS = new Set([
  'senderOrganizationId',
  'enterpriseNumber',
  'organizationId',
  'senderOrganizationIds',
])

describe('every answer of the demo data set', () => {
  it('covers the whole set', () => {
    const messages = responses.filter((r) => /^\/ebox\/messages\/[^/]+$/.test(r.url))
    expect(messages).toHaveLength(registry.set.messages.length)
    expect(responses.length).toBeGreaterThan(100)
  })

  it('matches its schema exactly (nothing undeclared)', () => {
    for (const { url, body, schema } of responses) {
      const error = Value.Errors(schema, body).First()
      expect(error, `${url}: ${error?.path} ${error?.message}`).toBeUndefined()
    }
  })

  it('holds no null anywhere', () => {
    for (const { url, body } of responses) {
      walk(body, (node, pointer) => expect(node, `${url} ${pointer}`).not.toBeNull())
    }
  })

  it('gives every TranslatedString its three languages, none empty', () => {
    let seen = 0
    for (const { url, body } of responses) {
      walk(body, (node, pointer) => {
        if (!node || typeof node !== 'object' || Array.isArray(node)) return
        const keys = Object.keys(node)
        if (!keys.some((k) => LANGUAGES.includes(k))) return
        seen++
        expect(keys.sort(), `${url} ${pointer}`).toEqual(['de', 'fr', 'nl'])
        for (const lang of LANGUAGES) {
          const text = (node as Record<string, unknown>)[lang]
          expect(typeof text === 'string' && text.length > 0, `${url} ${pointer}/${lang}`).toBe(true)
        }
      })
    }
    expect(seen).toBeGreaterThan(100)
  })

  it('writes every enterprise number with 10 digits', () => {
    for (const { url, body } of responses) {
      walk(body, (node, pointer, key) => {
        if (ENTERPRISE_KEYS.has(key) && typeof node === 'string') {
          expect(node, `${url} ${pointer}`).toMatch(/^[01]\d{9}$/)
        }
      })
    }
  })

  it('writes every date-time in Brussels time with its offset, whole seconds', () => {
    const keys = new Set([
      'receiptDate',
      'expirationDate',
      'readDate',
      'dueDate',
      'executionDate',
      'lastReceiptDate',
      'lastConsultationDate',
    ])
    let seen = 0
    for (const { url, body } of responses) {
      walk(body, (node, pointer, key) => {
        if (!keys.has(key) || typeof node !== 'string') return
        seen++
        // An action's due date is a date (standardized business data FOR_ACTION_DUE_DATE: DATE, YYYY-MM-DD).
        if (pointer.endsWith('/messageAction/dueDate')) return expect(node).toMatch(/^\d{4}-\d{2}-\d{2}$/)
        expect(node, `${url} ${pointer}`).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/)
      })
    }
    expect(seen).toBeGreaterThan(100)
  })

  it('keeps each e-Box to its own messages', () => {
    const ofCitizen = responses.find(
      (r) =>
        r.url.startsWith('/ebox/messages?') &&
        r.body &&
        JSON.stringify(r.body).includes(DEMO.otherMessages.citizenPdf),
    )
    expect(JSON.stringify(ofCitizen?.body)).not.toContain(DEMO.messages.mainPdf)
  })
})
