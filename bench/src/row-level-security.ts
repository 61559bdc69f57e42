/**
 * `pnpm --filter @ebox/bench row-level-security [--duration S] [--rounds N] [--messages N]`
 *
 * What PostgreSQL row-level security on `messages` would cost the list (apps/registry/ARCHITECTURE.md, decision
 * "Row-level security"). One fresh database with every migration and one e-Box of --messages messages (plus as
 * many in other e-Boxes), read as the service role (not a superuser: superusers bypass policies). pgbench replays
 * the default list's page query (the registry's shape: the page's ids by index, then those rows), page 1 and
 * page 2000, prepared, one client, in three variants measured in alternating rounds:
 *   - no RLS: today;
 *   - RLS, session setting: a policy on current_setting('app.recipient_id'), set once per connection (what a
 *     pool could do only if a connection served one tenant — it does not; the policy's own cost);
 *   - RLS, per request: the setting given in each request's transaction (BEGIN; set_config(…, true); query;
 *     COMMIT), which is what the registry would have to do.
 * Prints a Markdown table: average latency per request (ms, pgbench's figure) and requests/s, the median and the
 * best of the rounds (the best round is the least disturbed by other work on a shared machine).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createIsolatedDatabase, testAdminUrl } from '@ebox/dev-postgres'
import { migrateUp } from '@ebox/registry'
import { withClient } from './database.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    messages: { type: 'string', default: '100000' },
  },
})
const RECIPIENT = '0800000001'
const SERVICE_ROLE = 'ebox_registry_service'
const PAGE_SIZE = 25

const pageQuery = (offset: number) => `SELECT m.message_id, m.subject, m.published_at, m.expires_at, m.read_at
  FROM messages m WHERE m.message_id IN (
    SELECT m.message_id FROM messages m
     WHERE m.recipient_type = 'enterprise' AND m.recipient_id = :recipient AND m.expires_at > now()
     ORDER BY m.published_at DESC, m.publication_seq DESC LIMIT ${PAGE_SIZE} OFFSET ${offset})
  ORDER BY m.published_at DESC, m.publication_seq DESC;`

const variants = {
  'no RLS': { rls: false, script: (offset: number) => pageQuery(offset) },
  'RLS, session setting': { rls: true, script: (offset: number) => pageQuery(offset) },
  'RLS, per request': {
    rls: true,
    script: (offset: number) =>
      `BEGIN;\nSELECT set_config('app.recipient_id', :recipient, true);\n${pageQuery(offset)}\nCOMMIT;`,
  },
} as const

async function main() {
  const database = await createIsolatedDatabase(testAdminUrl(), { prefix: 'bench_rls' })
  const dir = mkdtempSync(join(tmpdir(), 'bench-rls-'))
  try {
    await migrateUp(database.url)
    const count = Number(values.messages)
    await withClient(database.url, async (c) => {
      await c.query(`
        INSERT INTO sender_organizations (organization_id, short_name) VALUES ('0123456789', '{"fr":"O"}');
        INSERT INTO sender_applications (application_id, organization_id, name) VALUES ('app', '0123456789', '{"fr":"A"}');
        INSERT INTO message_types (message_type_id, name, validity_number, validity_unit)
          VALUES ('letter', '{"fr":"L"}', 1, 'year');`)
      // The measured e-Box and as many messages spread over 1,000 others, one message a minute.
      await c.query(
        `INSERT INTO messages (message_id, recipient_type, recipient_id, sender_enterprise_number,
           sender_application_id, message_type_id, subject, published_at, expires_at)
         SELECT gen_random_uuid(), 'enterprise',
                CASE WHEN g % 2 = 0 THEN $1 ELSE lpad((800001000 + g % 1000)::text, 10, '0') END,
                '0123456789', 'app', 'letter', jsonb_build_object('fr', 'Message ' || g),
                now() - g * interval '1 minute', now() + interval '1 year'
           FROM generate_series(1, $2::int * 2) AS g`,
        [RECIPIENT, count],
      )
      await c.query('VACUUM ANALYZE messages')
      await c.query(`CREATE POLICY messages_of_recipient ON messages FOR SELECT TO ${SERVICE_ROLE}
        USING (recipient_id = current_setting('app.recipient_id', true))`)
    })
    const deepest = Math.floor(count / PAGE_SIZE)
    const pages = [
      { label: 'page 1', offset: 0 },
      { label: `page ${Math.min(2000, deepest)}`, offset: (Math.min(2000, deepest) - 1) * PAGE_SIZE },
    ]
    const results = new Map<string, { latency: number[]; tps: number[] }>()
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = Object.keys(variants) as (keyof typeof variants)[]
      if (round % 2 === 1) order.reverse()
      for (const page of pages) {
        for (const name of order) {
          const variant = variants[name]
          await withClient(database.url, (c) =>
            c.query(`ALTER TABLE messages ${variant.rls ? 'ENABLE' : 'DISABLE'} ROW LEVEL SECURITY`),
          )
          const file = join(dir, `${name.replace(/\W+/g, '-')}-${page.offset}.sql`)
          writeFileSync(file, variant.script(page.offset))
          const measured = pgbench(database.url, file, name === 'RLS, session setting')
          const key = `${page.label}|${name}`
          const entry = results.get(key) ?? { latency: [], tps: [] }
          entry.latency.push(measured.latencyMs)
          entry.tps.push(measured.tps)
          results.set(key, entry)
          console.error(
            `round ${round + 1} ${page.label} ${name}: ${measured.latencyMs} ms, ${measured.tps} tps`,
          )
        }
      }
    }
    const lines = [
      `| List | Variant | ms per request, median of ${values.rounds} | best round | requests/s (median) | median vs no RLS | best vs no RLS |`,
      '|---|---|--:|--:|--:|--:|--:|',
    ]
    for (const page of pages) {
      const base = results.get(`${page.label}|no RLS`)!.latency
      for (const name of Object.keys(variants)) {
        const entry = results.get(`${page.label}|${name}`)!
        const [latency, best] = [median(entry.latency), Math.min(...entry.latency)]
        lines.push(
          `| ${page.label} | ${name} | ${latency.toFixed(3)} | ${best.toFixed(3)} | ${median(entry.tps).toFixed(0)} | ${(latency / median(base)).toFixed(2)}× | ${(best / Math.min(...base)).toFixed(2)}× |`,
        )
      }
    }
    console.log(lines.join('\n'))
  } finally {
    rmSync(dir, { recursive: true, force: true })
    await database.drop()
  }
}

/** One prepared-mode pgbench run as the service role; the recipient given as a pgbench variable. */
function pgbench(url: string, file: string, sessionSetting: boolean): { latencyMs: number; tps: number } {
  const options = [`-c role=${SERVICE_ROLE}`, sessionSetting ? `-c app.recipient_id=${RECIPIENT}` : '']
  const output = execFileSync(
    'pgbench',
    [
      '-n',
      '-M',
      'prepared',
      '-c',
      '1',
      '-j',
      '1',
      '-T',
      values.duration,
      '-D',
      `recipient=${RECIPIENT}`,
      '-f',
      file,
      url,
    ],
    { encoding: 'utf8', env: { ...process.env, PGOPTIONS: options.join(' ').trim() } },
  )
  const latency = /latency average = ([\d.]+) ms/.exec(output)
  const tps = /tps = ([\d.]+)/.exec(output)
  if (!latency || !tps) throw new Error(`unexpected pgbench output:\n${output}`)
  return { latencyMs: Number(latency[1]), tps: Number(tps[1]) }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error)
  process.exit(1)
})
