import { connect, createServer, type Server, type Socket } from 'node:net'
import { SCOPES } from '@ebox/contract'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../src/db/unavailable.ts'
import { filePart, jsonPart, messageToPublish, publish, publisherToken } from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * PostgreSQL restarting or failing over under the service (a CloudNativePG switchover ends every session): the
 * caller gets 503 SERVICE_UNAVAILABLE with Retry-After, never 500, and the next request after it is served.
 * The database sits behind a TCP relay the test controls; the machine's PostgreSQL is never stopped.
 */
let relay: Server
let relayPort: number
const sockets = new Set<Socket>()
let accepting = true

beforeAll(async () => {
  const target = new URL(testAdminUrl())
  relay = createServer((client) => {
    if (!accepting) return client.destroy()
    const server = connect(Number(target.port || 5432), target.hostname)
    for (const socket of [client, server]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    client.pipe(server).pipe(client)
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  relayPort = (relay.address() as { port: number }).port
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => relay.close(() => resolve()))
})

describe('the database goes away and comes back', () => {
  let database: IsolatedDatabase
  let registry: TestRegistry
  let token: string
  beforeAll(async () => {
    database = await createIsolatedDatabase(testAdminUrl(), { template: process.env.TEST_TEMPLATE_DATABASE })
    const throughRelay = new URL(database.url)
    throughRelay.host = `127.0.0.1:${relayPort}`
    registry = await startTestRegistry({ DATABASE_URL: throughRelay.toString() })
    token = await registry.token({ scopes: [SCOPES.documentConsumer] })
  }, 30_000)
  afterAll(async () => {
    await registry.close()
    await database.drop()
  })
  const list = () =>
    registry.app.inject({ url: '/ebox/messages', headers: { authorization: `Bearer ${token}` } })

  it('serves, answers 503 with Retry-After while the server is gone, serves again once it is back', async () => {
    expect((await list()).statusCode).toBe(200)

    // Every open session cut (as a restart does) and no new one accepted.
    accepting = false
    for (const socket of sockets) socket.destroy()
    const down = await list()
    expect(down.statusCode, down.body).toBe(503)
    expect(down.headers['retry-after']).toBe('2')
    expect(down.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    expect(down.body).not.toMatch(/ECONN|Connection terminated|at /)

    accepting = true
    const back = await list()
    expect(back.statusCode, back.body).toBe(200)
  })

  it('answers a write 503 with Retry-After too, though its audit record cannot be written either', async () => {
    // A write that fails with 5xx is audited (it may have changed something); with PostgreSQL gone that record
    // fails as well, and must not turn the 503 into a 500 (issue 20, found by `pnpm chaos`).
    const publisher = await registry.token(publisherToken)
    accepting = false
    for (const socket of sockets) socket.destroy()
    try {
      const down = await publish(registry.app, publisher, [
        jsonPart(messageToPublish()),
        filePart('file1', Buffer.from('%PDF-1.7 letter')),
      ])
      expect(down.statusCode, down.body).toBe(503)
      expect(down.headers['retry-after']).toBe('2')
      expect(down.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    } finally {
      accepting = true
    }
  })
})

describe('isDatabaseUnavailable', () => {
  it.each([
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '57P03', message: 'the database system is starting up' }],
    [{ code: '25006', message: 'cannot execute INSERT in a read-only transaction' }],
    [{ code: '53300', message: 'sorry, too many clients already' }],
    [{ code: '53100', message: 'could not extend file: No space left on device' }],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [new Error('wrapped', { cause: { code: '08006' } })],
  ])('recognises %o', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it.each([
    [{ code: '23505', message: 'duplicate key value violates unique constraint' }],
    [{ code: '42501', message: 'permission denied for table messages' }],
    [new Error('something else')],
    [undefined],
  ])('leaves %o to the 500 path', (error) => {
    expect(isDatabaseUnavailable(error)).toBe(false)
  })
})
