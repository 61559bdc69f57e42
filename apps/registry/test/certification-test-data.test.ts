import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SCOPES, type TestDataFile } from '@ebox/contract'
import { DEMO, DEMO_TEST_DATA_FILE } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * POST /certification/resetDataSet from a test data file (issue 18): the configured test e-Boxes end up holding
 * exactly the file's data, any other e-Box is refused, a bad file stops the service at start, and production
 * allows it for its test e-Box.
 */

const demoFile = JSON.parse(await readFile(DEMO_TEST_DATA_FILE, 'utf8')) as TestDataFile
const dir = await mkdtemp(join(tmpdir(), 'test-data-'))
const isMain = (message: TestDataFile['messages'][number]) =>
  message.recipient.eboxType === 'enterprise' && message.recipient.enterpriseNumber === DEMO.enterprise
/** Three listed messages of the main demo e-Box (none expired), one with its main PDF. */
const kept = demoFile.messages
  .filter(isMain)
  .filter((message) => ![DEMO.messages.expired].includes(message.messageId))
  .filter((message) =>
    [DEMO.messages.mainPdf, DEMO.messages.spinach, DEMO.messages.test].includes(message.messageId),
  )
const smallFile: TestDataFile = {
  ...demoFile,
  description: 'three messages in the main e-Box',
  eboxes: demoFile.eboxes.filter((ebox) => ebox.id === DEMO.enterprise),
  messages: kept,
}

async function fileWith(name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

const reset = (registry: TestRegistry, authorization: string, query = '') =>
  registry.app.inject({
    method: 'POST',
    url: `/certification/resetDataSet${query}`,
    headers: { authorization },
  })
const certifier = async (registry: TestRegistry, cbe?: string) =>
  `Bearer ${await registry.token({ scopes: [SCOPES.certification], cbe })}`

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry({
    CERTIFICATION_TEST_DATA_FILE: await fileWith('small.json', smallFile),
    CERTIFICATION_TEST_EBOXES: `${DEMO.enterprise}, ${DEMO.citizenSsin}`,
  })
})
afterAll(() => registry.close())

const listedIds = async (headers: { authorization: string }) => {
  const page = (await registry.get('/ebox/messages?pageSize=100', headers)).json()
  return (page.items as { messageId: string }[]).map((message) => message.messageId).sort()
}

describe('POST /certification/resetDataSet with a test data file', () => {
  it('leaves each test e-Box with exactly the messages of the file, in one audited transaction', async () => {
    expect(await listedIds(registry.main)).toHaveLength(DEMO.counts.listed)
    const response = await reset(registry, await certifier(registry))
    expect(response.statusCode).toBe(204)

    expect(await listedIds(registry.main)).toEqual(kept.map((message) => message.messageId).sort())
    // The citizen test e-Box is not in the file: it holds nothing now. The second e-Box is no test e-Box.
    expect(await listedIds(registry.citizen)).toEqual([])
    expect(await listedIds(registry.second)).toHaveLength(DEMO.counts.secondEbox)
    const statistics = (await registry.get('/ebox/statistics')).json()
    expect(statistics.totalMessages).toBe(kept.length)

    // Content included: the main PDF is the file's bytes.
    const pdf = await registry.get(`/ebox/messages/${DEMO.messages.mainPdf}/attachments/1/content`)
    expect(pdf.statusCode).toBe(200)
    const expected = kept.find((m) => m.messageId === DEMO.messages.mainPdf)!.attachments[0]!.contentBase64
    expect(pdf.rawPayload.toString('base64')).toBe(expected)

    // Dates relative to the reset: the file's newest message keeps its age.
    const newest = (await registry.get('/ebox/messages?pageSize=1')).json().items[0]
    const fileNewest = kept.map((m) => Date.parse(m.publishedAt)).sort((a, b) => b - a)[0]!
    const age = Date.parse(smallFile.datesRelativeTo) - fileNewest
    expect(Math.abs(Date.now() - Date.parse(newest.receiptDate) - age)).toBeLessThan(60_000)

    const audit = await registry.pool.query<{ status: number; details: Record<string, unknown> }>(
      "SELECT status, details FROM audit_records WHERE url LIKE '/certification/resetDataSet%'",
    )
    expect(audit.rows).toEqual([
      {
        status: 204,
        details: expect.objectContaining({
          eboxes: [DEMO.enterprise, DEMO.citizenSsin],
          messages: kept.length,
          dataSet: 'three messages in the main e-Box',
        }),
      },
    ])
  })

  it('replaces what was added since: a second reset gives the same e-Box', async () => {
    await registry.pool.query(
      `UPDATE messages SET visible = false, read_at = now() WHERE recipient_id = $1`,
      [DEMO.enterprise],
    )
    expect((await reset(registry, await certifier(registry), `?eboxId=${DEMO.enterprise}`)).statusCode).toBe(
      204,
    )
    const page = (await registry.get('/ebox/messages?pageSize=100')).json()
    expect(page.items.map((m: { messageId: string }) => m.messageId).sort()).toEqual(
      kept.map((m) => m.messageId).sort(),
    )
    expect(page.items.every((m: { visible: boolean }) => m.visible)).toBe(true)
  })

  it('refuses any e-Box that is not a test e-Box, by name or by token, with a StatusMessage', async () => {
    const before = await listedIds(registry.second)
    for (const response of [
      await reset(registry, await certifier(registry), `?eboxId=${DEMO.secondEnterprise}`),
      await reset(registry, await certifier(registry, DEMO.secondEnterprise)),
    ]) {
      expect(response.statusCode).toBe(403)
      expect(response.json()).toMatchObject({ code: 'FORBIDDEN', environment: 'test' })
      expect(Object.keys(response.json()).sort()).toEqual(['code', 'environment', 'id', 'message'])
    }
    expect(await listedIds(registry.second)).toEqual(before)
    expect((await reset(registry, await certifier(registry), '?eboxId=123')).statusCode).toBe(400)
    expect((await reset(registry, registry.main.authorization)).statusCode).toBe(403)
  })

  it('changes nothing when the load fails half way (one transaction)', async () => {
    const broken = structuredClone(smallFile)
    delete broken.referenceData
    broken.messages[2]!.messageTypeId = 'no-such-type'
    const failing = await startDemoRegistry({
      CERTIFICATION_TEST_DATA_FILE: await fileWith('broken.json', broken),
      CERTIFICATION_TEST_EBOXES: DEMO.enterprise,
    })
    try {
      const response = await reset(failing, await certifier(failing))
      expect(response.statusCode).toBe(500)
      expect(response.json()).toMatchObject({ code: 'INTERNAL_ERROR' })
      const page = (await failing.get('/ebox/messages?pageSize=1')).json()
      expect(page.totalItems).toBe(DEMO.counts.listed)
    } finally {
      await failing.close()
    }
  })
})

describe('the test data file at start', () => {
  const bad: [string, unknown, RegExp][] = [
    ['missing.json', undefined, /missing\.json: cannot be read \(ENOENT\)/],
    ['not-json.json', '{"format": ', /not-json\.json: is not JSON/],
    ['schema.json', { ...smallFile, format: 'other/1' }, /schema\.json: \/format: Expected/],
    [
      'foreign.json',
      { ...smallFile, eboxes: demoFile.eboxes },
      new RegExp(`foreign\\.json: /eboxes/1: enterprise e-Box ${DEMO.secondEnterprise} is not a test e-Box`),
    ],
    [
      'partition.json',
      { ...smallFile, messages: [{ ...kept[0]!, partitionId: 'nowhere' }] },
      /partition\.json: \/messages\/0\/partitionId: nowhere is not a partition/,
    ],
    [
      'twice.json',
      { ...smallFile, messages: [kept[0], kept[0]] },
      /twice\.json: \/messages\/1\/messageId: .* appears twice/,
    ],
  ]
  it.each(bad)('refuses %s with the file and the problem', async (name, content, message) => {
    const path = content === undefined ? join(dir, name) : await fileWith(name, content)
    await expect(
      startTestRegistry({ CERTIFICATION_TEST_DATA_FILE: path, CERTIFICATION_TEST_EBOXES: DEMO.enterprise }),
    ).rejects.toThrow(message)
  })

  it('is not read while the reset is switched off', async () => {
    const closed = await startTestRegistry({
      CERTIFICATION_RESET_ENABLED: 'false',
      CERTIFICATION_TEST_DATA_FILE: join(dir, 'missing.json'),
    })
    await closed.close()
  })
})

describe('in production', () => {
  const production = {
    EBOX_ENVIRONMENT: 'production',
    PUBLIC_BASE_URL: 'https://registry.example',
    CERTIFICATION_RESET_ENABLED: 'true',
  }

  it('resets the test e-Box and refuses every other', async () => {
    const prd = await startDemoRegistry({
      ...production,
      CERTIFICATION_TEST_EBOXES: DEMO.enterprise,
      CERTIFICATION_TEST_DATA_FILE: await fileWith('prd.json', smallFile),
    })
    try {
      const token = await certifier(prd)
      expect((await reset(prd, token)).statusCode).toBe(204)
      expect((await prd.get('/ebox/messages')).json().totalItems).toBe(kept.length)
      const refused = await reset(prd, token, `?eboxId=${DEMO.citizenSsin}`)
      expect(refused.statusCode).toBe(403)
      expect(refused.json()).toMatchObject({ code: 'FORBIDDEN', environment: 'production' })
      expect((await prd.get('/ebox/messages', prd.citizen)).json().totalItems).toBe(DEMO.counts.citizenEbox)
    } finally {
      await prd.close()
    }
  })

  it('does not start with the reset switched on and no test e-Box named', () => {
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
        OAUTH_ISSUER: 'https://iss',
        OAUTH_AUDIENCE: 'aud',
        OAUTH_JWKS_URL: 'https://iss/jwks',
        ...production,
      }),
    ).toThrow(/CERTIFICATION_TEST_EBOXES must name the test e-Boxes when CERTIFICATION_RESET_ENABLED=true/)
    expect(() =>
      loadConfig({
        DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
        OAUTH_ISSUER: 'https://iss',
        OAUTH_AUDIENCE: 'aud',
        OAUTH_JWKS_URL: 'https://iss/jwks',
        ...production,
        CERTIFICATION_TEST_EBOXES: '0406798007',
      }),
    ).toThrow(/CERTIFICATION_TEST_EBOXES: "0406798007" is neither an enterprise number/)
  })
})
