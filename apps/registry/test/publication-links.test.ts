import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  NEW_ENTERPRISE,
  publish,
  publisherToken,
  seedPublicationData,
  storedState,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Publication of issue 18: `originalMessageId` (stored, returned, linked within the recipient's e-Box), the
 * action a message asks for (standardized business data FOR_ACTION / FOR_ACTION_DUE_DATE) and `structuredData`
 * (accepted, not kept).
 */

let registry: TestRegistry
let token: string
let reader: { authorization: string }
let audited: unknown
beforeAll(async () => {
  registry = await startTestRegistry()
  registry.app.addHook('onResponse', async (request) => {
    if (request.routeOptions.url === '/ebox/messages' && request.method === 'POST')
      audited = request.auditDetails
  })
  await seedPublicationData(registry.pool)
  token = await registry.token(publisherToken)
  const consumer = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: CONSULTED_ENTERPRISE })
  reader = { authorization: `Bearer ${consumer}` }
})
afterAll(() => registry.close())

const pdf = Buffer.from('%PDF-1.4\n%%EOF\n')

async function published(overrides: Record<string, unknown>) {
  const response = await publish(registry.app, token, [
    jsonPart(messageToPublish(overrides)),
    filePart('file1', pdf),
  ])
  expect(response.statusCode).toBe(201)
  return response.json() as { messageId: string; expirationDate: string; code?: string }
}

const detail = async (messageId: string) =>
  (await registry.app.inject({ url: `/ebox/messages/${messageId}`, headers: reader })).json()

async function linkOf(messageId: string): Promise<string | null> {
  const { rows } = await registry.pool.query<{ ref: string | null }>(
    'SELECT original_message_ref AS ref FROM messages WHERE message_id = $1',
    [messageId],
  )
  return rows[0]!.ref
}

async function refused(overrides: Record<string, unknown>) {
  const before = await storedState(registry.pool)
  const response = await publish(registry.app, token, [
    jsonPart(messageToPublish(overrides)),
    filePart('file1', pdf),
  ])
  expect(response.statusCode).toBe(400)
  expect(response.json()).toMatchObject({ code: 'INVALID_INPUT' })
  expect(await storedState(registry.pool)).toEqual(before)
}

describe('originalMessageId', () => {
  it('links to the original when it is a message of the same recipient e-Box, and is returned as given', async () => {
    const original = await published({})
    const given = original.messageId.toUpperCase()
    const follow = await published({ originalMessageId: given })
    expect(await linkOf(follow.messageId)).toBe(original.messageId)
    expect((await detail(follow.messageId)).originalMessageId).toBe(given)
    expect(audited).toMatchObject({ originalMessageId: given, messageId: follow.messageId })
    // The original itself names no original.
    expect(await detail(original.messageId)).not.toHaveProperty('originalMessageId')
  })

  it('is kept unlinked when it names a message of another e-Box, or nothing this registry knows', async () => {
    const elsewhere = await published({
      recipient: { eboxType: 'enterprise', enterpriseNumber: NEW_ENTERPRISE },
    })
    const unknown = await published({})
    for (const given of [elsewhere.messageId, 'MSG-2024-000123', '3f1c2d4e-0000-4000-8000-000000000000']) {
      const status = await published({ originalMessageId: given })
      // Same answer either way: a sender learns nothing of what another e-Box holds.
      expect(Object.keys(status).sort()).toEqual(Object.keys(unknown).sort())
      expect(await linkOf(status.messageId)).toBeNull()
      expect((await detail(status.messageId)).originalMessageId).toBe(given)
    }
  })

  it('keeps the given id when the original is deleted; only the link goes', async () => {
    const original = await published({})
    const follow = await published({ originalMessageId: original.messageId })
    await registry.pool.query('DELETE FROM outbox_events WHERE message_id = $1', [original.messageId])
    await registry.pool.query('DELETE FROM messages WHERE message_id = $1', [original.messageId])
    expect(await linkOf(follow.messageId)).toBeNull()
    expect((await detail(follow.messageId)).originalMessageId).toBe(original.messageId)
  })

  it('refuses an empty value, control characters, null and more than 200 characters', async () => {
    for (const originalMessageId of ['', 'a\u0000b', 'a\nb', null, 'x'.repeat(201)]) {
      await refused({ originalMessageId })
    }
  })
})

describe('an action asked by the sender (FOR_ACTION)', () => {
  it('is published with its due date and shown pending', async () => {
    const status = await published({
      businessDataList: [
        { key: 'FOR_ACTION', values: [{ nl: 'true' }] },
        { key: 'FOR_ACTION_DUE_DATE', values: [{ nl: '2031-01-15' }] },
      ],
    })
    const message = await detail(status.messageId)
    expect(message.messageAction).toEqual({ dueDate: '2031-01-15', isExecuted: false })
    const stats = (await registry.app.inject({ url: '/ebox/statistics', headers: reader })).json()
    expect(stats.actionRequiredMessages).toBe(1)
  })

  it('FOR_ACTION false asks for nothing', async () => {
    const status = await published({ businessDataList: [{ key: 'FOR_ACTION', values: [{ fr: 'false' }] }] })
    expect(await detail(status.messageId)).not.toHaveProperty('messageAction')
  })

  it('refuses malformed values, and nothing is stored', async () => {
    await refused({ businessDataList: [{ key: 'FOR_ACTION', values: [{ fr: 'oui' }] }] })
    await refused({
      businessDataList: [
        { key: 'FOR_ACTION', values: [{ fr: 'true' }] },
        { key: 'FOR_ACTION_DUE_DATE', values: [{ fr: '2031-02-30' }] },
      ],
    })
    await refused({ businessDataList: [{ key: 'FOR_ACTION_DUE_DATE', values: [{ fr: '2031-01-15' }] }] })
  })
})

describe('structuredData', () => {
  it('is accepted and not kept: the message carries none', async () => {
    const status = await published({
      structuredData: { invoice: { number: 'F-1', lines: [{ amount: 10 }] } },
    })
    const message = await detail(status.messageId)
    expect(message).not.toHaveProperty('structuredData')
    expect(JSON.stringify(message)).not.toContain('F-1')
  })

  it('refuses what is not a JSON object (null included: no nulls)', async () => {
    for (const structuredData of [null, 'text', 42, [1, 2]]) await refused({ structuredData })
  })
})
