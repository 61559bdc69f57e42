import { escapeLike, type Language, normaliseForSearch, SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMessages } from '../src/repositories/messages/list.ts'
import { planSearch } from '../src/repositories/messages/search.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { scopeFor } from './support/scope.ts'

/**
 * Search by keys (migrations 0017/0018, repositories/messages/search.ts) finds exactly what the substring LIKE of
 * 0001 finds: every query below is answered over HTTP and compared with that LIKE (and the reference data's), run
 * directly on the table, on texts with accents, ß, ø, Cyrillic, digits and separators, expired messages, two
 * e-Boxes and a partition-limited user.
 */
const EBOX = '0474028805'
const OTHER = DEMO.secondEnterprise
const FIELD = '\u001f'
const TEXTS = [
  'Avis de prélèvement SEPA — mandat n° 4711',
  'Prélèvements du trimestre 2/2026',
  "Avertissement-extrait de rôle à l'impôt des sociétés",
  'Straße und Grünfläche',
  'Ørsted — énergie',
  'Пример письма',
  `facture 12345${FIELD}tva/12345${FIELD}Dossier ABC-77`,
  'Rappel : déclaration 4/2026 non encore reçue (802280)',
  'INFORMATION importante',
  'prélèvement',
]
const QUERIES = [
  'prélèvement',
  'PRELEVEMENT',
  'prélèvem',
  'levement',
  'ements',
  'sepa',
  'straße',
  'grunflache',
  'ørsted',
  'орст',
  'пример',
  '12345',
  '2026',
  'abc',
  'impot',
  "l'impot",
  'de prél',
  'n° 4711',
  're',
  'cotisation',
  'facture',
  'information',
  'inexistant',
  'rechnung',
]

let registry: DemoRegistry
let authorization: string
beforeAll(async () => {
  registry = await startDemoRegistry()
  authorization = `Bearer ${await registry.token({ scopes: [SCOPES.documentConsumer], cbe: EBOX })}`
  const rows = TEXTS.flatMap((text, i) =>
    [EBOX, OTHER].flatMap((recipient) =>
      [0, 1, 2].map((k) => ({
        recipient,
        text: `${text} ${k === 2 ? 'pret' : ''}`,
        partition: k === 1 ? 'partitionA' : 'GENERAL',
        type: ['invoice', 'information', 'contribution-notice'][(i + k) % 3],
        // One in three expired: a search lists only live messages.
        expiresIn: k === 0 ? '-1 day' : `${30 + i * 40} days`,
      })),
    ),
  )
  for (const row of rows) {
    const search = normaliseForSearch(row.text)
    await registry.pool.query(
      `INSERT INTO messages (message_id, recipient_type, recipient_id, partition_id, sender_enterprise_number,
         sender_application_id, message_type_id, subject, published_at, expires_at, search_nl, search_fr, search_de)
       VALUES (gen_random_uuid(), 'enterprise', $1, $2, '0566988259', 'demo-invoicing', $3,
         jsonb_build_object('fr', $4::text), now() - interval '1 hour', now() + $5::interval, $6, $6, $6)`,
      [row.recipient, row.partition, row.type, row.text, row.expiresIn, search],
    )
  }
}, 120_000)
afterAll(() => registry.close())

/** What the LIKE of migration 0001 lists for `q`: the e-Box's live messages, newest first. */
async function expected(q: string, qlang: Language, partitions?: string[]): Promise<string[]> {
  const pattern = `%${escapeLike(normaliseForSearch(q))}%`
  const { rows } = await registry.pool.query<{ message_id: string }>(
    `SELECT m.message_id FROM messages m
     WHERE m.recipient_type = 'enterprise' AND m.recipient_id = $1 AND m.expires_at > now()
       AND ($3::text[] IS NULL OR m.partition_id = ANY($3))
       AND (m.search_${qlang} LIKE $2
         OR m.message_type_id IN (SELECT message_type_id FROM message_types WHERE search_${qlang} LIKE $2)
         OR m.sender_application_id IN (SELECT application_id FROM sender_applications WHERE search_${qlang} LIKE $2)
         OR m.sender_enterprise_number IN (SELECT organization_id FROM sender_organizations WHERE search_${qlang} LIKE $2))
     ORDER BY m.published_at DESC, m.publication_seq DESC`,
    [EBOX, pattern, partitions ?? null],
  )
  return rows.map((row) => row.message_id)
}

async function listed(q: string, qlang: Language): Promise<{ ids: string[]; total: number }> {
  const response = await registry.app.inject({
    url: `/ebox/messages?q=${encodeURIComponent(q)}&qlang=${qlang}&pageSize=100`,
    headers: { authorization },
  })
  expect(response.statusCode, response.body).toBe(200)
  const body = response.json()
  return { ids: body.items.map((item: { messageId: string }) => item.messageId), total: body.totalItems }
}

describe('search by keys', () => {
  it.each(QUERIES.flatMap((q) => (['fr', 'nl'] as const).map((qlang) => [q, qlang] as const)))(
    'lists for "%s" (%s) exactly what the substring match lists',
    async (q, qlang) => {
      const ids = await expected(q, qlang)
      expect(await listed(q, qlang)).toEqual({ ids, total: ids.length })
    },
  )

  it('reads one-word queries by keys and the others by trigrams', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: EBOX })
    const plan = (q: string) => planSearch(registry.pool, scope, { q, qlang: 'fr', byExpiry: true })
    for (const q of ['prélèvement', 'levem', '2026', 'пример', 'inexistant']) {
      expect((await plan(q)).keys, q).not.toBeNull()
      expect((await plan(q)).expiryKeys, q).not.toBeNull()
    }
    // A separator inside, fewer than three characters: the trigram path.
    for (const q of ['de prél', "l'impot", 'n° 4711', 're', 'a/b']) expect((await plan(q)).keys, q).toBeNull()
    // A word found nowhere: no vocabulary key, so only the matching reference data can be found.
    expect((await plan('inexistant')).keys).toEqual([])
  })

  it('keeps a partition-limited user to their partitions', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: EBOX }, ['partitionA'])
    for (const q of ['prélèvement', 'sepa', 'facture']) {
      const page = await listMessages(registry.pool, scope, { q, qlang: 'fr' }, { page: 1, pageSize: 100 })
      const ids = await expected(q, 'fr', ['partitionA'])
      expect(ids.length, q).toBeGreaterThan(0)
      expect({ ids: page.items.map((m) => m.messageId), total: page.totalItems }).toEqual({
        ids,
        total: ids.length,
      })
    }
  })

  it('finds expired messages when an expiry filter asks for them', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: EBOX })
    const filters = { q: 'prélèvement', qlang: 'fr' as const, expiredBefore: '2100-01-01' }
    const page = await listMessages(registry.pool, scope, filters, { page: 1, pageSize: 100 })
    const { rows } = await registry.pool.query(
      `SELECT count(*)::int AS n FROM messages WHERE recipient_id = $1 AND search_fr LIKE '%prelevement%'`,
      [EBOX],
    )
    expect(page.totalItems).toBe(rows[0].n)
  })

  it('keeps keys and vocabulary current when a search text changes', async () => {
    const { rows } = await registry.pool.query<{ message_id: string }>(
      `UPDATE messages SET search_fr = 'zygomorphe', expires_at = now() + interval '9 days'
       WHERE message_id = (SELECT message_id FROM messages WHERE recipient_id = $1 AND expires_at > now() LIMIT 1)
       RETURNING message_id`,
      [EBOX],
    )
    expect(await listed('gomorph', 'fr')).toEqual({ ids: [rows[0]!.message_id], total: 1 })
  })

  it('falls back to the trigram path when the server hashes differently from the one that stored the keys', async () => {
    const scope = await scopeFor({ eboxType: 'enterprise', id: EBOX })
    await registry.pool.query('UPDATE message_search_key_canary SET key = key + 1')
    try {
      const plan = await planSearch(registry.pool, scope, { q: 'prélèvement', qlang: 'fr', byExpiry: true })
      expect(plan.keys).toBeNull()
      const ids = await expected('prélèvement', 'fr')
      expect(await listed('prélèvement', 'fr')).toEqual({ ids, total: ids.length })
    } finally {
      await registry.pool.query('UPDATE message_search_key_canary SET key = key - 1')
    }
  })
})
