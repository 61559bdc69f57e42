import { describe, expect, it } from 'vitest'
import { atPointer, ReadOnlyViolation, RegistryClient, retryAfterMs } from '../src/http.ts'
import { TokenProvider } from '../src/tokens.ts'

const tokens = new TokenProvider({ consultation: { kind: 'static', token: 'secret-token' } })

describe('RegistryClient', () => {
  it('in read-only mode refuses anything but GET, HEAD and OPTIONS before sending it', async () => {
    let sent = 0
    const client = new RegistryClient({
      baseUrl: 'http://registry.invalid/base/',
      tokens,
      readOnly: true,
      fetch: async () => {
        sent++
        return new Response('{}', { headers: { 'content-type': 'application/json' } })
      },
    })
    for (const method of ['POST', 'PATCH', 'PUT', 'DELETE']) {
      await expect(client.request('consultation', method, '/certification/resetDataSet')).rejects.toThrow(
        ReadOnlyViolation,
      )
    }
    expect(sent).toBe(0)
    const exchange = await client.get('consultation', '/ebox/messages', { page: 2, q: undefined })
    expect(exchange.url).toBe('http://registry.invalid/base/ebox/messages?page=2')
    expect(sent).toBe(1)
  })

  it('sends the role token and a correlation id, and retries a 429 after Retry-After', async () => {
    const seen: Array<Record<string, string>> = []
    const client = new RegistryClient({
      baseUrl: 'http://registry.invalid',
      tokens,
      readOnly: true,
      fetch: async (_url, init) => {
        seen.push(init?.headers as Record<string, string>)
        return seen.length === 1
          ? new Response('{}', {
              status: 429,
              headers: { 'retry-after': '0', 'content-type': 'application/json' },
            })
          : new Response('{"items":[],"totalItems":0}', { headers: { 'content-type': 'application/json' } })
      },
    })
    const exchange = await client.get('consultation', '/ebox/messages')
    expect(exchange.status).toBe(200)
    expect(exchange.json).toEqual({ items: [], totalItems: 0 })
    expect(seen).toHaveLength(2)
    expect(seen[0]?.authorization).toBe('Bearer secret-token')
    expect(seen[0]?.['x-correlation-id']).toMatch(/^conformance-1-/)
  })

  it('reads Retry-After in seconds or as a date, within bounds', () => {
    expect(retryAfterMs('2')).toBe(2000)
    expect(retryAfterMs(null)).toBe(1000)
    expect(retryAfterMs('3600')).toBe(30_000)
    expect(retryAfterMs(new Date(10_000).toUTCString(), 7_000)).toBe(3000)
  })

  it('points into JSON', () => {
    expect(atPointer({ items: [{ 'a/b': 1 }] }, '/items/0/a~1b')).toBe(1)
    expect(atPointer({ items: [] }, '/items/3')).toBeUndefined()
  })
})
