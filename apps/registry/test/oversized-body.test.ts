import { connect } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listen } from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * Issue 18: a JSON body over the limit is answered 413 with a StatusMessage, and the client reads that answer
 * before the connection closes (it used to be closed with the body still arriving: a reset, no answer).
 */
let registry: TestRegistry
let port: number
let token: string
beforeAll(async () => {
  registry = await startTestRegistry()
  port = Number(new URL(await listen(registry.app)).port)
  token = await registry.token({ scopes: [SCOPES.documentConsumer] })
})
afterAll(() => registry.close())

/**
 * Sends `total` bytes of body in 64 KiB writes, as a client that reads the answer only once it has sent its
 * request does (curl, most SDKs); resolves with what came back.
 */
function send(head: string, total: number, tail = ''): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const received: Buffer[] = []
    let error: string | undefined
    socket.on('data', (chunk) => received.push(chunk))
    socket.pause()
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code
    })
    socket.on('close', () => resolve({ response: Buffer.concat(received).toString('latin1'), error }))
    socket.write(head)
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length
        if (!socket.write(chunk)) return void socket.once('drain', pump)
      }
      if (!socket.destroyed) socket.end(tail)
      socket.resume()
    }
    pump()
  })
}

function headOf(extra: string): string {
  return (
    `PATCH /ebox/messages/00000000-0000-4000-8000-000000000001 HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
    `Authorization: Bearer ${token}\r\nContent-Type: application/json\r\n${extra}\r\n`
  )
}

/** The first response on the connection: its status and its JSON body. */
function statusMessageOf(response: string) {
  const end = response.indexOf('\r\n\r\n')
  const head = response.slice(0, end)
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
  const body = response.slice(end + 4, end + 4 + length)
  return { status: head.split(' ')[1], body: body.startsWith('{') ? JSON.parse(body) : body }
}

describe('an oversized JSON body', () => {
  it.each([
    ['declared by Content-Length', (size: number) => headOf(`Content-Length: ${size}\r\n`)],
    ['discovered while reading (chunked)', () => headOf('Transfer-Encoding: chunked\r\n')],
  ])('%s: 413 PAYLOAD_TOO_LARGE reaches the client', async (_label, head) => {
    const size = 8 * 1024 * 1024
    const chunked = head(size).includes('chunked')
    // A chunked body is sent as one chunk whose size line says 8 MiB.
    const { response, error } = chunked
      ? await send(`${head(size)}${size.toString(16)}\r\n`, size, '\r\n0\r\n\r\n')
      : await send(head(size), size)
    const { status, body } = statusMessageOf(response)
    expect(status, `${error ?? ''} ${response.slice(0, 200)}`).toBe('413')
    expect(body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', environment: expect.any(String) })
    expect(body.id).toEqual(expect.any(String))
  })
})
