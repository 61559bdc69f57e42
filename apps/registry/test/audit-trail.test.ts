import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { RegistryError, SCOPES } from '@ebox/contract'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { auditCommand } from '../src/audit/cli.ts'
import { AuditWriter } from '../src/audit/store.ts'
import { verifyAuditChain } from '../src/audit/verify.ts'
import { createPool, inTransaction } from '../src/db/pool.ts'
import { auditInTransaction } from '../src/plugins/app/audit.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

let registry: TestRegistry
let token: string

beforeAll(async () => {
  registry = await startTestRegistry()
  const { app } = registry
  // Routes that exist only to drive the audit plugin, with the operations real routes use.
  app.get('/test/read/:id', { config: { operation: 'readMessage' } }, async (request) => {
    const { id } = request.params as { id: string }
    if (id === 'missing') throw new RegistryError('NOT_FOUND')
    request.auditDetails = { messageId: id, ...(id === 'poison' && { note: 'bad\u0000byte' }) }
    return { id }
  })
  app.post('/test/write/:outcome', { config: { operation: 'updateMessages' } }, async (request, reply) => {
    const { outcome } = request.params as { outcome: string }
    request.auditDetails = { messageIds: ['m1', 'm2'], action: outcome }
    if (outcome === 'rejected') throw new RegistryError('INVALID_INPUT')
    if (outcome === 'crash') throw new Error('lost connection after commit?')
    if (outcome === 'poison') request.auditDetails = { note: 'bad\u0000byte' }
    return reply.code(200).send({ done: outcome })
  })
  app.post('/test/transactional', { config: { operation: 'publishMessage' } }, async (request, reply) => {
    await inTransaction(registry.pool, async (client) => {
      request.auditDetails = { messageId: 'tx-1', originalMessageId: 'orig' }
      await auditInTransaction(client, request, 201)
    })
    return reply.code(201).send({ messageId: 'tx-1' })
  })
  app.get('/test/refdata', { config: { operation: 'referenceData' } }, async () => ({ ok: true }))
  app.get('/test/opted-out', { config: { operation: 'readMessage', audit: false } }, async () => ({
    ok: true,
  }))
  await app.ready()
  token = await registry.token({
    scopes: [SCOPES.documentConsumer, SCOPES.publicationSender],
    clientId: 'portal',
  })
})
afterAll(() => registry.close())

interface Row {
  seq: string
  token_hash: string
  client_id: string
  method: string
  url: string
  status: number
  details: Record<string, unknown>
  correlation_id: string
  occurred_at: Date
}

async function records(): Promise<Row[]> {
  // Time order: across shards, seq order is not the order of the calls.
  const { rows } = await registry.pool.query<Row>('SELECT * FROM audit_records ORDER BY occurred_at, seq')
  return rows
}

let before = 0
beforeEach(async () => {
  before = (await records()).length
})
async function newRecords(): Promise<Row[]> {
  return (await records()).slice(before)
}

function call(method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) {
  return registry.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, ...headers } })
}

describe('what is recorded', () => {
  it('a successful read: one record with the token hash, client, method, URL, status and details', async () => {
    const started = Date.now()
    const response = await call('GET', '/test/read/abc?x=1', { 'x-correlation-id': 'corr-audit-1' })
    expect(response.statusCode).toBe(200)
    const [record, ...more] = await newRecords()
    expect(more).toEqual([])
    expect(record).toMatchObject({
      token_hash: createHash('sha256').update(token).digest('hex'),
      client_id: 'portal',
      method: 'GET',
      url: '/test/read/abc?x=1',
      status: 200,
      details: { messageId: 'abc' },
      correlation_id: 'corr-audit-1',
    })
    expect(JSON.stringify(record)).not.toContain(token)
    expect(Math.abs(record!.occurred_at.getTime() - started)).toBeLessThan(5_000)
  })

  it('no record for a failed read, an unauthenticated call, reference data or an opted-out route', async () => {
    expect((await call('GET', '/test/read/missing')).statusCode).toBe(404)
    expect((await registry.app.inject('/test/read/abc')).statusCode).toBe(401)
    expect((await call('GET', '/test/refdata')).statusCode).toBe(200)
    expect((await call('GET', '/test/opted-out')).statusCode).toBe(200)
    expect(await newRecords()).toEqual([])
  })

  it('writes: recorded when they succeed or may have (5xx), not when certainly refused (4xx)', async () => {
    expect((await call('POST', '/test/write/ok')).statusCode).toBe(200)
    expect((await call('POST', '/test/write/rejected')).statusCode).toBe(400)
    expect((await call('POST', '/test/write/crash')).statusCode).toBe(500)
    const written = await newRecords()
    expect(written.map((r) => [r.url, r.status, r.details])).toEqual([
      ['/test/write/ok', 200, { action: 'ok', messageIds: ['m1', 'm2'] }],
      ['/test/write/crash', 500, { action: 'crash', messageIds: ['m1', 'm2'] }],
    ])
  })

  it('a write that records itself in its transaction gets exactly one record', async () => {
    expect((await call('POST', '/test/transactional')).statusCode).toBe(201)
    const written = await newRecords()
    expect(written).toHaveLength(1)
    expect(written[0]).toMatchObject({
      status: 201,
      details: { messageId: 'tx-1', originalMessageId: 'orig' },
    })
  })
})

describe('when the record cannot be written', () => {
  async function failures(kind: string): Promise<number> {
    const metric = await registry.app.metrics.auditWriteFailures.get()
    return metric.values.find((value) => value.labels.kind === kind)?.value ?? 0
  }

  it('a read is answered anyway, and the failure is counted', async () => {
    const counted = await failures('read')
    const response = await call('GET', '/test/read/poison')
    expect(response.statusCode).toBe(200)
    expect(await failures('read')).toBe(counted + 1)
    expect(await newRecords()).toEqual([])
  })

  it('a write fails with 500, and the failure is counted', async () => {
    const counted = await failures('write')
    const response = await call('POST', '/test/write/poison')
    expect(response.statusCode).toBe(500)
    expect(response.json()).toMatchObject({ code: 'INTERNAL_ERROR' })
    expect(await failures('write')).toBe(counted + 1)
  })

  it('one bad record in a batch does not fail the others', async () => {
    const responses = await Promise.all([
      call('GET', '/test/read/a'),
      call('POST', '/test/write/poison'),
      call('GET', '/test/read/b'),
    ])
    expect(responses.map((r) => r.statusCode)).toEqual([200, 500, 200])
    expect((await newRecords()).map((r) => r.details.messageId).sort()).toEqual(['a', 'b'])
  })
})

describe('the hash chain', () => {
  it('stays one chain under concurrent calls and concurrent writers in other processes', async () => {
    const otherPools = [0, 1].map(() =>
      createPool({ connectionString: registry.config.databaseUrl, max: 4, statementTimeoutMs: 10_000 }),
    )
    try {
      const writers = otherPools.map((pool) => new AuditWriter(pool, { maxBatch: 7 }))
      const entry = (n: number) => ({
        occurredAt: '2026-03-29T01:30:00.000001Z',
        tokenHash: null,
        clientId: 'other-replica',
        method: 'GET',
        url: `/other/${n}`,
        status: 200,
        details: { n, nested: { b: 1, a: [1, { z: true, y: null }] } },
        correlationId: null,
      })
      await Promise.all([
        ...Array.from({ length: 40 }, (_, n) => call('GET', `/test/read/c${n}`)),
        ...Array.from({ length: 60 }, (_, n) => writers[n % 2]!.write(entry(n))),
      ])
      const result = await verifyAuditChain(registry.pool, { pageSize: 13 })
      expect(result).toMatchObject({ ok: true, anchored: false })
      // Each shard's records are numbered 1, 2, … without gaps (seq = shard * 10^14 + n).
      const { rows } = await registry.pool.query<{ shard: string; n: string; last: string }>(
        `SELECT seq / 100000000000000 AS shard, count(*) AS n, max(seq % 100000000000000) AS last
           FROM audit_records GROUP BY 1`,
      )
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(row.n, `shard ${row.shard}`).toBe(row.last)
    } finally {
      await Promise.all(otherPools.map((pool) => pool.end()))
    }
  })

  it('refuses UPDATE, DELETE and TRUNCATE, on the table and on a year', async () => {
    await call('GET', '/test/read/immutable')
    for (const sql of [
      "UPDATE audit_records SET status = 299 WHERE details->>'messageId' = 'immutable'",
      "DELETE FROM audit_records WHERE details->>'messageId' = 'immutable'",
      'DELETE FROM audit_records_y2026',
      'TRUNCATE audit_records',
      'TRUNCATE audit_records_y2026',
      'UPDATE audit_chain_head SET seq = 0',
      'DELETE FROM audit_chain_head',
    ]) {
      await expect(registry.pool.query(sql), sql).rejects.toThrow(/append-only|only moves forward/)
    }
  })

  it('keeps each year until 1 January of the year after plus ten years', async () => {
    await expect(
      registry.pool.query("SELECT audit_detach_year(2026, '2036-12-31T23:59:59+01:00')"),
    ).rejects.toThrow(/retained until/)
    const { rows } = await registry.pool.query<{ table: string }>(
      "SELECT audit_detach_year(2024, '2035-01-01T00:00:00+01:00') AS table",
    )
    expect(rows[0]!.table).toBe('audit_records_y2024')
  })

  it('a record removed at the end is detected through the chain head', async () => {
    await call('GET', '/test/read/last')
    const client = await registry.pool.connect()
    try {
      await client.query('SET session_replication_role = replica')
      await client.query(
        'CREATE TEMP TABLE removed AS SELECT * FROM audit_records WHERE seq = (SELECT max(seq) FROM audit_records)',
      )
      await client.query('DELETE FROM audit_records WHERE seq = (SELECT seq FROM removed)')
      const result = await verifyAuditChain(registry.pool)
      expect(result).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^the head of shard \d+ is at seq \d+/),
      })
      // Put it back as it was: the chain is whole again.
      await client.query('INSERT INTO audit_records SELECT * FROM removed')
      await client.query('DROP TABLE removed')
      await client.query('SET session_replication_role = origin')
    } finally {
      client.release()
    }
    expect(await verifyAuditChain(registry.pool)).toMatchObject({ ok: true })
  })

  it('`registry audit verify` names the first tampered record, and a removed one', async () => {
    await Promise.all(Array.from({ length: 5 }, (_, n) => call('GET', `/test/read/t${n}`)))
    expect(await runCli(['verify'])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^audit chain intact: \d+ records/),
    })

    // Two records each followed by another of the same shard (seq + 1): one to edit, one to delete.
    const { rows } = await registry.pool.query<{ seq: string }>(
      `SELECT seq FROM audit_records r WHERE details->>'messageId' LIKE 't_'
          AND EXISTS (SELECT FROM audit_records s WHERE s.seq = r.seq + 1) ORDER BY seq LIMIT 2`,
    )
    const [first, second] = rows.map((row) => row.seq)
    expect(second).toBeDefined()
    // Someone with the power to bypass the triggers (a superuser) edits one record, then deletes another.
    const client = await registry.pool.connect()
    try {
      await client.query('SET session_replication_role = replica')
      const { rows: original } = await client.query<{ details: unknown }>(
        'SELECT details FROM audit_records WHERE seq = $1',
        [second],
      )
      await client.query(`UPDATE audit_records SET details = '{"messageId":"forged"}' WHERE seq = $1`, [
        second,
      ])
      const tampered = await runCli(['verify'])
      expect(tampered.code).toBe(1)
      expect(tampered.out).toContain(`BROKEN at record seq ${second}: its content does not match its hash`)
      await client.query('UPDATE audit_records SET details = $2 WHERE seq = $1', [
        second,
        original[0]!.details,
      ])

      await client.query('DELETE FROM audit_records WHERE seq = $1', [first])
      await client.query('SET session_replication_role = origin')
    } finally {
      client.release()
    }
    const deleted = await runCli(['verify'])
    expect(deleted.code).toBe(1)
    expect(deleted.out).toContain(`BROKEN at record seq ${BigInt(first!) + 1n}: record(s) ${first} missing`)
  })
})

describe('export', () => {
  it('writes the records of a period as JSON lines with Belgian timestamps', async () => {
    await call('GET', '/test/read/exported')
    const { code, out, err } = await runCli(['export', '--from', '2026-01-01', '--to=2027-01-01'])
    expect(code).toBe(0)
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(err).toContain(`exported ${lines.length} audit records`)
    const exported = lines.find((line) => line.API_CALL_DETAILS.messageId === 'exported')
    expect(exported).toMatchObject({
      TIMESTAMP: expect.stringMatching(/^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0[12]:00$/),
      SUBJECT_TOKEN_HASHED: createHash('sha256').update(token).digest('hex'),
      CLIENT_ID: 'portal',
      API_CALL_REQUEST_METHOD: 'GET',
      API_CALL_REQUEST_URL: '/test/read/exported',
      API_CALL_RESPONSE_CODE: 200,
      HASH: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    const empty = await runCli(['export', '--from', '2030-01-01', '--to', '2030-02-01'])
    expect(empty).toMatchObject({ code: 0, out: '' })
  })

  it('refuses a malformed period', async () => {
    await expect(runCli(['export', '--from', 'yesterday', '--to', '2030-02-01'])).rejects.toThrow(
      /--from must be/,
    )
  })
})

async function runCli(args: string[]) {
  let out = ''
  let err = ''
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk))
        done()
      },
    })
  const code = await auditCommand(
    args,
    { DATABASE_URL: registry.config.databaseUrl },
    {
      out: sink((text) => {
        out += text
      }),
      err: sink((text) => {
        err += text
      }),
    },
  )
  return { code, out, err }
}
