import { normaliseForSearch, SEARCH_FIELD_SEPARATOR } from '@ebox/contract'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMessages } from '../src/repositories/messages/list.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { scopeFor } from './support/scope.ts'

/**
 * The per-e-Box, per-language search keys (migrations 0016/0017, docs/contract-decisions.md "Text search: index"):
 * they only narrow the candidates, so a search must find exactly the messages whose normalised text holds the
 * normalised query, whatever the query (partial words, across words, short words, non-Latin letters).
 */
const EBOX = '0871234567'
const OTHER = '0871234568'
const scope = await scopeFor({ eboxType: 'enterprise', id: EBOX })

const TEXTS = [
  'Annonce de prélèvement SEPA 4411 — mandat n° 123456',
  'Avis de PRÉLÈVEMENTS groupés',
  'Straße 12, Øresund æble — проверка счёта',
  `l'école${SEARCH_FIELD_SEPARATOR}x-y_z  deux  espaces`,
  'déclaration trimestrielle 2026/Q3',
  'a b c de ab',
]

let registry: DemoRegistry
const ids: string[] = []
beforeAll(async () => {
  registry = await startDemoRegistry()
  for (const [index, text] of TEXTS.entries()) {
    for (const recipient of [EBOX, OTHER]) {
      const { rows } = await registry.pool.query<{ message_id: string }>(
        `INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
           sender_application_id, message_type_id, subject, published_at, expires_at, search_nl, search_fr, search_de)
         VALUES (gen_random_uuid(), 'enterprise', $1, 'GENERAL', '0566988259', 'demo-invoicing', 'invoice',
           jsonb_build_object('fr', $2::text), now() - make_interval(mins => $3), now() + interval '10 days',
           $4, $5, $4)
         RETURNING message_id`,
        [recipient, text, index, normaliseForSearch(`nl ${index}`), normaliseForSearch(text)],
      )
      if (recipient === EBOX) ids.push(rows[0]!.message_id)
    }
  }
}, 60_000)
afterAll(() => registry.close())

const keysContain = async (text: string, query: string) =>
  (
    await registry.pool.query<{ ok: boolean }>(
      `SELECT message_search_keys('enterprise', $1, 'fr', $2) @> message_search_keys('enterprise', $1, 'fr', $3) AS ok`,
      [EBOX, text, query],
    )
  ).rows[0]!.ok

describe('search keys', () => {
  it('of every substring of a text are within the keys of the text (no match is ever lost)', async () => {
    for (const raw of TEXTS) {
      const text = normaliseForSearch(raw)
      const { rows } = await registry.pool.query<{ lost: string[] }>(
        `SELECT coalesce(array_agg(q), '{}') AS lost FROM (
           SELECT substr($2, i, l) AS q FROM generate_series(1, length($2)) AS i, generate_series(1, length($2)) AS l
           WHERE i + l - 1 <= length($2)) s
         WHERE NOT message_search_keys('enterprise', $1, 'fr', $2) @> message_search_keys('enterprise', $1, 'fr', q)`,
        [EBOX, text],
      )
      expect(rows[0]!.lost, raw).toEqual([])
    }
  })

  it('belong to one e-Box and one language', async () => {
    const { rows } = await registry.pool.query<{
      other_ebox: boolean
      other_language: boolean
      empty: number
    }>(
      `SELECT message_search_keys('enterprise', $1, 'fr', 'prelevement') && message_search_keys('enterprise', $2, 'fr', 'prelevement') AS other_ebox,
              message_search_keys('enterprise', $1, 'fr', 'prelevement') && message_search_keys('enterprise', $1, 'nl', 'prelevement') AS other_language,
              cardinality(message_search_keys('enterprise', $1, 'fr', 'de a b')) AS empty`,
      [EBOX, OTHER],
    )
    expect(rows[0]).toEqual({ other_ebox: false, other_language: false, empty: 0 })
  })

  it('leave out a text that lacks a trigram of the query', async () => {
    expect(await keysContain('avis de prelevement', 'prelevement')).toBe(true)
    expect(await keysContain('avis de prelevement', 'prelevements')).toBe(false)
  })
})

describe('a search through the keys', () => {
  it.each([
    'prélèvement',
    'PRELEV',
    'levem',
    'de prél',
    'n° 1234',
    'e s',
    'a',
    'ab',
    'c de',
    'straße',
    'øresund æb',
    'проверка сч',
    'x-y_z  d',
    '2026/q3',
    'ment',
    'tion tri',
    'absent',
  ])('finds exactly the messages whose text holds %j (case, accents, partial words)', async (q) => {
    const expected = TEXTS.map((text, i) => [normaliseForSearch(text), ids[i]!] as const)
      .filter(([text]) => text.includes(normaliseForSearch(q)))
      .map(([, id]) => id)
    const page = await listMessages(registry.pool, scope, { q, qlang: 'fr' }, { page: 1, pageSize: 100 })
    expect(page.items.map((m) => m.messageId)).toEqual(expected)
    expect(page.totalItems).toBe(expected.length)
  })
})
