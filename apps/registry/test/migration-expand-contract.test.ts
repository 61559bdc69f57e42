import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createIsolatedDatabase, type IsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS_DIR, migrateUp, migrationNames } from '../src/db/migrate.ts'

/**
 * 0009/0010 expand and 0013/0014 contract, on a database that already holds messages (as ACC and PRD do): the
 * existing rows are numbered in their old list order, the constraints end valid and the list indexes are rebuilt.
 * 0017/0018 the same way: the existing rows get their search keys and their words join the vocabulary.
 */
const LAST_BEFORE_EXPAND = '0009_object_storage'
const dir = mkdtempSync(join(tmpdir(), 'migrations-'))
let database: IsolatedDatabase
let client: pg.Client
const SAME_SECOND = '2026-11-02T10:00:00Z'
const legacyIds = [
  'ffffffff-0000-4000-8000-000000000001',
  '00000000-0000-4000-8000-000000000002',
  '80000000-0000-4000-8000-000000000003',
]

beforeAll(async () => {
  database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'expand_contract' })
  client = new pg.Client({ connectionString: database.url })
  await client.connect()
  for (const name of migrationNames().filter((name) => name <= LAST_BEFORE_EXPAND)) {
    copyFileSync(join(MIGRATIONS_DIR, `${name}.sql`), join(dir, `${name}.sql`))
  }
  await migrateUp(database.url, () => {}, { dir })
  await client.query(`
    INSERT INTO sender_organizations (organization_id, short_name) VALUES ('0123456789', '{"fr":"O"}');
    INSERT INTO sender_applications (application_id, organization_id, name) VALUES ('app', '0123456789', '{"fr":"A"}');
    INSERT INTO message_types (message_type_id, name, validity_number, validity_unit)
      VALUES ('letter', '{"fr":"L"}', 1, 'year');
    INSERT INTO contents (content_id, size_bytes, sha256) VALUES (gen_random_uuid(), 1, repeat('a', 64));`)
  for (const id of legacyIds) {
    await client.query(
      `INSERT INTO messages (message_id, recipient_type, recipient_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at, search_fr)
       VALUES ($1, 'enterprise', '0800002352', '0123456789', 'app', 'letter', '{"fr":"S"}', $2, $2::timestamptz + interval '1 year',
         'lettre recommandee')`,
      [id, SAME_SECOND],
    )
  }
  expect((await migrateUp(database.url)).length).toBeGreaterThan(0)
})
afterAll(async () => {
  await client.end()
  await database.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('publication order on a database with messages', () => {
  it('numbers existing messages below every new one, in their old order (message id within a second)', async () => {
    await client.query(
      `INSERT INTO messages (message_id, recipient_type, recipient_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at)
       VALUES (gen_random_uuid(), 'enterprise', '0800002352', '0123456789', 'app', 'letter', '{"fr":"N"}', $1, $1::timestamptz + interval '1 year')`,
      [SAME_SECOND],
    )
    const { rows } = await client.query<{ message_id: string; seq: string }>(
      `SELECT message_id, publication_seq::text AS seq FROM messages
        WHERE recipient_id = '0800002352' ORDER BY published_at DESC, publication_seq DESC`,
    )
    expect(rows.map((row) => row.message_id).slice(1)).toEqual([...legacyIds].sort().reverse())
    expect(BigInt(rows[0]!.seq)).toBeGreaterThan(0n)
    for (const row of rows.slice(1)) expect(BigInt(row.seq)).toBeLessThan(0n)
  })

  it('ends with the checks validated, the list indexes valid and no helper left behind', async () => {
    const constraints = await client.query(
      `SELECT conname, convalidated FROM pg_constraint
        WHERE conname IN ('messages_publication_seq_set', 'contents_store_known', 'messages_search_keys_set')
        ORDER BY conname`,
    )
    expect(constraints.rows).toEqual([
      { conname: 'contents_store_known', convalidated: true },
      { conname: 'messages_publication_seq_set', convalidated: true },
      { conname: 'messages_search_keys_set', convalidated: true },
    ])
    const indexes = await client.query<{ name: string; valid: boolean; definition: string }>(
      `SELECT c.relname AS name, i.indisvalid AS valid, pg_get_indexdef(i.indexrelid) AS definition
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname LIKE 'messages\\_by\\_ebox%' AND c.relname NOT LIKE '%expiry%' ORDER BY 1`,
    )
    expect(indexes.rows).toHaveLength(8)
    for (const index of indexes.rows) {
      expect(index.valid, index.name).toBe(true)
      expect(index.definition, index.name).toContain('publication_seq DESC')
    }
    await expect(
      client.query(`INSERT INTO messages (message_id, recipient_type, recipient_id,
        sender_enterprise_number, sender_application_id, message_type_id, subject, published_at, expires_at,
        publication_seq) VALUES (gen_random_uuid(), 'enterprise', '1', '0123456789', 'app', 'letter', '{}', now(),
        now(), NULL)`),
    ).rejects.toThrow(/messages_publication_seq_set/)
    const helpers = await client.query(
      `SELECT proname FROM pg_proc
        WHERE proname IN ('legacy_publication_seq', 'number_legacy_publications', 'fill_message_search_keys')`,
    )
    expect(helpers.rows).toEqual([])
  })

  it('gives the messages stored before 0017 their search keys, and their words to the vocabulary', async () => {
    const { rows } = await client.query<{ found: boolean }>(
      `SELECT m.search_keys @> ARRAY[message_search_key('enterprise', '0800002352', 'fr', 'recommandee')] AS found
         FROM messages m WHERE m.message_id = ANY($1::uuid[])`,
      [legacyIds],
    )
    expect(rows).toEqual(legacyIds.map(() => ({ found: true })))
    const words = await client.query(
      `SELECT word FROM search_words WHERE word IN ('lettre', 'recommandee') ORDER BY 1`,
    )
    expect(words.rows).toEqual([{ word: 'lettre' }, { word: 'recommandee' }])
    const index = await client.query(
      `SELECT c.relname AS name, i.indisvalid AS valid, c.reloptions AS options
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname IN ('messages_search_keys', 'search_words_trigrams') ORDER BY 1`,
    )
    // No GIN pending list: searches would scan it whole.
    expect(index.rows).toEqual([
      { name: 'messages_search_keys', valid: true, options: ['fastupdate=off'] },
      { name: 'search_words_trigrams', valid: true, options: ['fastupdate=off'] },
    ])
  })
})
