import { randomBytes } from 'node:crypto'
import { SCOPES } from '@ebox/contract'
import { testAdminUrl, withDatabase } from '@ebox/dev-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateUp } from '../src/db/migrate.ts'
import { anchorAuditChain, ensureAuditPartitions } from '../src/repositories/scheduler.ts'
import {
  CONSULTED_ENTERPRISE,
  filePart,
  jsonPart,
  messageToPublish,
  publish,
  publisherToken,
  seedPublicationData,
} from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * The two roles of migration 0007, as a production database has them: a migration role that owns the database
 * (no superuser, no CREATEROLE: what CloudNativePG's database owner gets) applies every migration; the service
 * logs in as a member of ebox_registry_service and can use the API but not change the schema.
 */
const suffix = randomBytes(4).toString('hex')
const migrator = `registry_migrator_${suffix}`
const serviceLogin = `registry_service_${suffix}`
const database = `registry_roles_${suffix}`
// Generated per run: the embedded test server asks for passwords, the machine's server may trust 127.0.0.1.
const password = randomBytes(16).toString('hex')
const urlAs = (user: string) => {
  const url = new URL(withDatabase(testAdminUrl(), database))
  url.username = user
  url.password = password
  return url.toString()
}

async function asAdmin(sql: string) {
  const client = new pg.Client({ connectionString: testAdminUrl() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

let service: pg.Pool
let registry: TestRegistry

beforeAll(async () => {
  // What the stack declares before the migration Job runs (CloudNativePG managed roles / bootstrap owner).
  await asAdmin(`DO $$ BEGIN
      CREATE ROLE ebox_registry_service NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`)
  await asAdmin(`CREATE ROLE ${migrator} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEROLE NOCREATEDB`)
  await asAdmin(
    `CREATE ROLE ${serviceLogin} LOGIN PASSWORD '${password}' NOSUPERUSER IN ROLE ebox_registry_service`,
  )
  await asAdmin(`CREATE DATABASE ${database} OWNER ${migrator}`)
  await migrateUp(urlAs(migrator))
  service = new pg.Pool({ connectionString: urlAs(serviceLogin), max: 2 })
  registry = await startTestRegistry({ DATABASE_URL: urlAs(serviceLogin) })
}, 60_000)

afterAll(async () => {
  await registry?.close()
  await service?.end()
  await asAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
  await asAdmin(`DROP ROLE IF EXISTS ${serviceLogin}`)
  await asAdmin(`DROP ROLE IF EXISTS ${migrator}`)
})

async function sqlState(pool: pg.Pool, sql: string): Promise<string | undefined> {
  try {
    await pool.query(sql)
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('the service role', () => {
  it.each([
    ['DROP TABLE messages'],
    ['ALTER TABLE messages ADD COLUMN extra text'],
    ['TRUNCATE messages'],
    ['TRUNCATE audit_records'],
    ['CREATE TABLE intruder (id int)'],
    ['CREATE INDEX intruder ON messages (subject)'],
    ['DROP FUNCTION audit_append(jsonb)'],
    ['UPDATE audit_records SET status = 200'],
    ['DELETE FROM audit_records'],
    ['INSERT INTO audit_chain_head (id, seq, hash) VALUES (false, 0, 0)'],
    ["INSERT INTO audit_chain_shards (shard, seq, hash) VALUES (15, 0, '0')"],
    ['DELETE FROM audit_chain_shards'],
    ['DELETE FROM audit_anchors'],
    ['UPDATE audit_anchors SET hash = hash'],
    ['DELETE FROM pgmigrations'],
    ["SELECT audit_detach_year(2024, '2099-01-01')"],
  ])('may not: %s', async (sql) => {
    // 42501 insufficient_privilege; 42809/0A000 would mean the statement got past the privilege check.
    expect(await sqlState(service, sql)).toBe('42501')
  })

  it('owns nothing in the database', async () => {
    const { rows } = await service.query(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'USAGE')`,
    )
    expect(rows).toEqual([])
  })

  it('creates a coming year’s audit partition through the definer function, owned by the migration role', async () => {
    await ensureAuditPartitions(service, new Date('2061-06-01T00:00:00Z'))
    const { rows } = await service.query(
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c
        WHERE c.relname IN ('audit_records_y2061', 'audit_records_y2062') ORDER BY 1`,
    )
    expect(rows).toEqual([
      { relname: 'audit_records_y2061', owner: migrator },
      { relname: 'audit_records_y2062', owner: migrator },
    ])
  })

  it('runs the API: publish, list, read (audited calls included)', async () => {
    await seedPublicationData(registry.pool)
    const sender = await registry.token(publisherToken)
    const published = await publish(registry.app, sender, [
      filePart('file1', Buffer.from('%PDF-1.7 roles'), 'roles.pdf'),
      jsonPart(messageToPublish()),
    ])
    expect(published.statusCode, published.body).toBe(201)
    const messageId = published.json().messageId as string

    const reader = await registry.token({ scopes: [SCOPES.documentConsumer], cbe: CONSULTED_ENTERPRISE })
    const get = (url: string) => registry.app.inject({ url, headers: { authorization: `Bearer ${reader}` } })
    const list = await get('/ebox/messages')
    expect(list.statusCode, list.body).toBe(200)
    expect(list.json().items.map((item: { messageId: string }) => item.messageId)).toContain(messageId)
    const content = await get(`/ebox/messages/${messageId}/attachments/1/content`)
    expect(content.statusCode).toBe(200)
    expect(content.body).toBe('%PDF-1.7 roles')

    // The worker's anchor of the audit shards, as the service role.
    expect(await anchorAuditChain(service)).toEqual(expect.any(Number))

    const current = await registry.app.inject({ url: '/health/ready' })
    expect(current.statusCode, current.body).toBe(200)
  })
})

describe('the migration role', () => {
  it('owns every table and needs no superuser', async () => {
    const owner = new pg.Pool({ connectionString: urlAs(migrator), max: 1 })
    try {
      const { rows } = await owner.query<{ owners: string[]; superuser: boolean }>(
        `SELECT array_agg(DISTINCT pg_get_userbyid(relowner))::text[] AS owners,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser
           FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')`,
      )
      expect(rows[0]).toEqual({ owners: [migrator], superuser: false })
    } finally {
      await owner.end()
    }
  })

  it('finds nothing left to apply on a second run', async () => {
    expect(await migrateUp(urlAs(migrator))).toEqual([])
  })
})
