import { CONTRACT, SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPool, inTransaction, type Pool } from '../src/db/pool.ts'
import { absoluteImageHrefs } from '../src/plugins/app/public-url.ts'
import { LISTENER_APPLICATION_NAME } from '../src/plugins/app/reference-data-cache.ts'
import { importReferenceData, parseReferenceDataImport } from '../src/repositories/reference-data/import.ts'
import { getReferenceData } from '../src/repositories/reference-data/read.ts'
import { etagOf } from '../src/routes/consultation-http.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { startTestRegistry } from './support/registry.ts'

let registry: DemoRegistry
/** Another pool on the same database: a write through it is what `registry refdata import` does. */
let cli: Pool

const R = DEMO.referenceData
const TYPE = 'information'
const cache = () => registry.app.referenceDataCache
const stats = () => ({ ...cache().stats })
const WAIT = { timeout: 10_000, interval: 50 }

/** An import through the other pool, as the CLI does: one transaction, NOTIFY at its commit. */
const importElsewhere = (data: unknown) =>
  inTransaction(cli, (client) => importReferenceData(client, parseReferenceDataImport(data)))
const renameType = (fr: string) =>
  importElsewhere({
    messageTypes: [
      {
        messageTypeId: TYPE,
        messageTypeName: { fr },
        validityPeriod: { validityPeriodNumber: 3, validityPeriodUnit: 'month' },
      },
    ],
  })
const typeName = async (prefix: string = CONTRACT.referenceDataPrefixes[0]) => {
  const response = await registry.get(`${prefix}/messageTypes/${TYPE}`)
  expect(response.statusCode).toBe(200)
  return response.json().messageTypeName.fr as string
}
const listenerSessions = async (db: Pool = registry.pool) =>
  (
    await db.query<{ pid: number; query: string }>(
      'SELECT pid, query FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
      [LISTENER_APPLICATION_NAME],
    )
  ).rows

beforeAll(async () => {
  registry = await startDemoRegistry()
  cli = createPool({ connectionString: registry.database.url, max: 2, statementTimeoutMs: 10_000 })
  await registry.app.ready()
  // expect.poll works inside tests only.
  const deadline = Date.now() + WAIT.timeout
  while (!cache().enabled && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
})
afterAll(async () => {
  await cli?.end()
  await registry?.close()
})

describe('reference-data cache', () => {
  it.each([
    ['messageTypes', R.messageTypes[0], (db: Pool, id: string) => getReferenceData(db, 'messageTypes', id)],
    [
      'senderApplications',
      R.senderApplications[0],
      (db: Pool, id: string) => getReferenceData(db, 'senderApplications', id),
    ],
    [
      'senderOrganizations',
      R.senderOrganizations[0],
      (db: Pool, id: string) => getReferenceData(db, 'senderOrganizations', id),
    ],
  ] as const)(
    'answers %s/%s from memory with the body and ETag read from the database',
    async (collection, id, read) => {
      const url = `/referenceData/${collection}/${id}`
      cache().disable()
      const uncached = await registry.get(url)
      cache().enable()
      const before = stats()
      const first = await registry.get(url)
      const second = await registry.get(`/refData/${collection}/${id}`)
      expect(stats()).toEqual({ ...before, misses: before.misses + 1, hits: before.hits + 1 })
      expect(before.bypassed).toBeGreaterThan(0)

      const item = await read(registry.pool, id)
      // Logo hrefs are answered absolute (PUBLIC_BASE_URL), as the route makes them.
      absoluteImageHrefs(registry.app.publicBaseUrl, [item])
      expect(uncached.headers.etag).toBe(etagOf(item))
      expect(JSON.parse(uncached.body)).toEqual(JSON.parse(JSON.stringify(item)))
      for (const response of [first, second]) {
        expect(response.statusCode).toBe(200)
        expect(response.body).toBe(uncached.body)
        expect(response.headers.etag).toBe(uncached.headers.etag)
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
        expect(response.headers['content-type']).toBe(uncached.headers['content-type'])
        expect(response.headers['cache-control']).toBe(CONTRACT.referenceDataCacheControl)
      }

      const hits = cache().stats.hits
      const notModified = await registry.get(url, {
        ...registry.main,
        'if-none-match': uncached.headers.etag as string,
      })
      expect(notModified.statusCode).toBe(304)
      expect(notModified.body).toBe('')
      expect(notModified.headers.etag).toBe(uncached.headers.etag)
      expect(notModified.headers['cache-control']).toBe(CONTRACT.referenceDataCacheControl)
      expect(cache().stats.hits).toBe(hits + 1)
    },
  )

  it('keeps an answer until notified: a change without NOTIFY is not seen, an import through another pool is', async () => {
    const original = await typeName()
    expect(await typeName()).toBe(original)
    await registry.pool.query(
      `UPDATE message_types SET name = '{"fr":"Changé sans import"}' WHERE message_type_id = $1`,
      [TYPE],
    )
    expect(await typeName()).toBe(original)

    await renameType('Information importée')
    await expect.poll(() => typeName(), WAIT).toBe('Information importée')
    expect(await typeName('/refData')).toBe('Information importée')
    const list = (await registry.get('/referenceData/messageTypes?pageSize=100')).json()
    expect(
      list.items.find((t: { messageTypeId: string }) => t.messageTypeId === TYPE).messageTypeName.fr,
    ).toBe('Information importée')
  })

  it('keeps list pages, but neither pages past the end nor 404s', async () => {
    const url = '/referenceData/messageTypes?page=1&pageSize=2'
    const first = await registry.get(url)
    const hits = cache().stats.hits
    const again = await registry.get(url)
    expect(cache().stats.hits).toBe(hits + 1)
    expect(again.body).toBe(first.body)
    expect(again.headers.etag).toBe(first.headers.etag)

    const size = cache().size
    const empty = await registry.get('/referenceData/messageTypes?page=999&pageSize=2')
    expect(empty.statusCode).toBe(200)
    expect(empty.json().items).toEqual([])
    expect(cache().size).toBe(size)

    expect((await registry.get('/referenceData/messageTypes/not-yet')).statusCode).toBe(404)
    expect(cache().size).toBe(size)
    // Inserted without NOTIFY: a kept 404 would hide it.
    await registry.pool.query(
      `INSERT INTO message_types (message_type_id, name, validity_number, validity_unit)
       VALUES ('not-yet', '{"fr":"Enfin"}', 1, 'day')`,
    )
    expect((await registry.get('/referenceData/messageTypes/not-yet')).statusCode).toBe(200)
  })

  it('bypasses the cache while the listener is down, and the listener comes back', async () => {
    await typeName()
    await typeName()
    expect(cache().size).toBeGreaterThan(0)
    const [session] = await listenerSessions()
    expect(session?.query).toMatch(/^LISTEN/i)
    // With a timeout, pg_terminate_backend returns once the session is gone.
    const killed = await registry.pool.query<{ done: boolean }>(
      'SELECT pg_terminate_backend($1, 5000) AS done',
      [session?.pid],
    )
    expect(killed.rows[0]?.done).toBe(true)

    await renameType('Pendant la coupure')
    expect(cache().size).toBe(0)
    expect(await typeName()).toBe('Pendant la coupure')

    await expect
      .poll(
        async () =>
          (await listenerSessions()).find((s) => s.pid !== session?.pid && /^LISTEN/i.test(s.query)),
        WAIT,
      )
      .toBeDefined()
    await expect.poll(() => cache().enabled, WAIT).toBe(true)
    const metric = await registry.app.metrics.registry.getSingleMetricAsString(
      'reference_data_cache_listener_up',
    )
    expect(metric).toMatch(/^reference_data_cache_listener_up\{[^}]*\} 1$/m)

    // Notifications work again on the new connection.
    expect(await typeName()).toBe('Pendant la coupure')
    expect(await typeName()).toBe('Pendant la coupure')
    await renameType('Après la coupure')
    await expect.poll(() => typeName(), WAIT).toBe('Après la coupure')
  })

  it('gives fresh reference data right after POST /certification/resetDataSet', async () => {
    await renameType('Avant le reset')
    await expect.poll(() => typeName(), WAIT).toBe('Avant le reset')
    const hits = cache().stats.hits
    expect(await typeName()).toBe('Avant le reset')
    expect(cache().stats.hits).toBe(hits + 1)

    const token = await registry.token({ scopes: [SCOPES.certification], cbe: undefined })
    const reset = await registry.app.inject({
      method: 'POST',
      url: '/certification/resetDataSet',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(reset.statusCode).toBe(204)
    const demo = registry.set.referenceData.messageTypes?.find((t) => t.messageTypeId === TYPE)
    expect(await typeName()).toBe(demo?.messageTypeName.fr)
    expect(await typeName('/refData')).toBe(demo?.messageTypeName.fr)
  })
})

describe('reference-data listener', () => {
  it('is closed with the app, even while it still connects', async () => {
    const other = await startTestRegistry()
    try {
      await other.app.ready()
      await other.app.close()
    } finally {
      await other.close()
    }
  })

  it('is closed with the app once up', async () => {
    const other = await startTestRegistry()
    try {
      await other.app.ready()
      await expect.poll(async () => (await listenerSessions(other.pool)).length, WAIT).toBe(1)
      await other.app.close()
      expect(other.app.referenceDataCache.enabled).toBe(false)
      await expect.poll(async () => (await listenerSessions(other.pool)).length, WAIT).toBe(0)
    } finally {
      await other.close()
    }
  })
})
