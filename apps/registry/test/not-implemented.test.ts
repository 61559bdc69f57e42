import { SCOPES, UNIMPLEMENTED_OPERATIONS } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

/** Issue 18: optional operations not served answer 501 NOT_IMPLEMENTED (not 404), and stay closed by default. */
let registry: DemoRegistry
let consumer: string
let publisher: string
let wrongScope: string
beforeAll(async () => {
  registry = await startDemoRegistry()
  consumer = await registry.token({ scopes: [SCOPES.documentConsumer] })
  publisher = await registry.token({ scopes: [SCOPES.publicationSender] })
  wrongScope = await registry.token({ scopes: [SCOPES.referenceData] })
})
afterAll(() => registry.close())

const MESSAGE = '00000000-0000-4000-8000-000000000001'
const urlOf = (path: string) => path.replace('{messageId}', MESSAGE).replace('{actionId}', 'a1')

describe.each(UNIMPLEMENTED_OPERATIONS)('$method $path ($operationId)', (entry) => {
  const call = (token?: string) =>
    registry.app.inject({
      method: entry.method,
      url: urlOf(entry.path),
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      payload: entry.method === 'GET' ? undefined : '{}',
    })

  it('answers 501 NOT_IMPLEMENTED with a StatusMessage to a caller of its profile', async () => {
    const response = await call(entry.operation === 'optionalPublication' ? publisher : consumer)
    expect(response.statusCode, response.body).toBe(501)
    expect(response.json()).toMatchObject({
      id: expect.any(String),
      code: 'NOT_IMPLEMENTED',
      message: expect.any(String),
      environment: registry.config.environment,
    })
  })

  it('is closed by default: 401 without a token, 403 without a scope of its profile', async () => {
    expect((await call()).statusCode).toBe(401)
    expect((await call(wrongScope)).statusCode).toBe(403)
  })
})

describe('isReplyAuthorized', () => {
  it('is false on every message while replies are not served, whatever the sender asked', async () => {
    expect(registry.set.messages.some((message) => message.isReplyAuthorized)).toBe(true)
    const list = (await registry.get('/ebox/messages?pageSize=100')).json()
    expect(list.items.length).toBeGreaterThan(0)
    expect(list.items.filter((m: { isReplyAuthorized: boolean }) => m.isReplyAuthorized !== false)).toEqual(
      [],
    )
    const replyable = registry.set.messages.find(
      (m) =>
        m.isReplyAuthorized &&
        list.items.some((item: { messageId: string }) => item.messageId === m.messageId),
    )
    expect(replyable).toBeDefined()
    const detail = (await registry.get(`/ebox/messages/${replyable?.messageId}`)).json()
    expect(detail.isReplyAuthorized).toBe(false)
  })
})
