import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONTRACT, SCOPES } from '@ebox/contract'
import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refdataCommand } from '../src/cli/refdata.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry()
})
afterAll(() => registry.close())

const R = DEMO.referenceData
const DETAILS: [string, string, string][] = [
  ...R.messageTypes.map((id): [string, string, string] => ['messageTypes', id, 'messageTypeId']),
  ...R.senderApplications.map((id): [string, string, string] => ['senderApplications', id, 'applicationId']),
  ...R.senderOrganizations.map((id): [string, string, string] => [
    'senderOrganizations',
    id,
    'organizationId',
  ]),
]

describe('reference data', () => {
  it.each(CONTRACT.referenceDataPrefixes)('lists every collection under %s', async (prefix) => {
    for (const [collection, ids, idKey] of [
      ['messageTypes', R.messageTypes, 'messageTypeId'],
      ['senderApplications', R.senderApplications, 'applicationId'],
      ['senderOrganizations', R.senderOrganizations, 'organizationId'],
    ] as const) {
      const response = await registry.get(`${prefix}/${collection}`)
      expect(response.statusCode).toBe(200)
      const body = response.json()
      expect(body.totalItems).toBe(ids.length)
      expect(body.items.map((item: Record<string, string>) => item[idKey]).sort()).toEqual([...ids].sort())
      const page = (await registry.get(`${prefix}/${collection}?page=2&pageSize=2`)).json()
      expect(page.items).toEqual(body.items.slice(2, 4))
      expect((await registry.get(`${prefix}/${collection}?pageSize=101`)).statusCode).toBe(400)
    }
  })

  it.each(DETAILS)('details %s/%s with cache headers, an ETag and 304', async (collection, id, idKey) => {
    for (const prefix of CONTRACT.referenceDataPrefixes) {
      const response = await registry.get(`${prefix}/${collection}/${id}`)
      expect(response.statusCode).toBe(200)
      expect(response.json()[idKey]).toBe(id)
      const cacheControl = response.headers['cache-control'] as string
      expect(Number(/max-age=(\d+)/.exec(cacheControl)?.[1])).toBeGreaterThanOrEqual(86_400)
      const etag = response.headers.etag as string
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/)
      const again = await registry.get(`${prefix}/${collection}/${id}`, {
        ...registry.main,
        'if-none-match': etag,
      })
      expect(again.statusCode).toBe(304)
      expect(again.body).toBe('')
      expect(again.headers.etag).toBe(etag)
      expect(again.headers['cache-control']).toBe(cacheControl)
      const weak = await registry.get(`${prefix}/${collection}/${id}`, {
        ...registry.main,
        'if-none-match': `"other", W/${etag}`,
      })
      expect(weak.statusCode).toBe(304)
      const stale = await registry.get(`${prefix}/${collection}/${id}`, {
        ...registry.main,
        'if-none-match': '"old"',
      })
      expect(stale.statusCode).toBe(200)
    }
  })

  it('answers 404 for an unknown id', async () => {
    for (const collection of ['messageTypes', 'senderApplications', 'senderOrganizations']) {
      const response = await registry.get(`/referenceData/${collection}/unknown`)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' })
    }
  })

  it('fills names from another language and derives the relations', async () => {
    const organization = (
      await registry.get(`/referenceData/senderOrganizations/${R.frenchOnlyOrganization}`)
    ).json()
    expect(organization.organizationShortName).toEqual({
      nl: 'Demo Facturation SA',
      fr: 'Demo Facturation SA',
      de: 'Demo Facturation SA',
    })
    expect(organization.senderApplicationIds).toEqual(['demo-invoicing'])
    expect(organization.messageTypeIds).toEqual(['information', 'invoice'])
    const type = (await registry.get('/referenceData/messageTypes/information')).json()
    expect(type.senderApplicationIds).toEqual(['demo-invoicing', 'partner-mail', 'socialsecurity-letters'])
    expect(type.senderOrganizationIds).toEqual(['0206731645', '0220916609', '0566988259'])
    expect(type.validityPeriod).toEqual({ validityPeriodNumber: 3, validityPeriodUnit: 'month' })
  })

  it('serves every logo with its media type, bytes and cache headers', async () => {
    for (const collection of ['senderOrganizations', 'senderApplications']) {
      const list = (await registry.get(`/referenceData/${collection}?pageSize=100`)).json()
      for (const item of list.items) {
        for (const logo of item.organizationLogos ?? item.applicationLogos) {
          const response = await registry.get(logo.contentHref)
          expect(response.statusCode).toBe(200)
          expect(response.headers['content-type']).toBe(logo.mediaType)
          expect(response.rawPayload.length).toBe(logo.size * 1024)
          expect(response.rawPayload.subarray(1, 4).toString()).toBe('PNG')
          expect(response.headers.etag).toBeDefined()
          const cached = await registry.get(logo.contentHref, {
            ...registry.main,
            'if-none-match': response.headers.etag as string,
          })
          expect(cached.statusCode).toBe(304)
        }
      }
    }
    const org = (
      await registry.get(`/referenceData/senderOrganizations/${R.organizationWithLanguageLogos}`)
    ).json()
    expect(org.organizationLogos.map((l: { language: string }) => l.language)).toEqual(['de', 'fr', 'nl'])
    expect(
      (
        await registry.get(
          `/referenceData/senderOrganizations/${R.organizationWithLanguageLogos}/images/none/content`,
        )
      ).statusCode,
    ).toBe(404)
  })

  it('is readable with the referencedata scope alone, not without a token', async () => {
    const token = await registry.token({ scopes: [SCOPES.referenceData] })
    expect(
      (await registry.get('/referenceData/messageTypes', { authorization: `Bearer ${token}` })).statusCode,
    ).toBe(200)
    expect((await registry.app.inject({ url: '/referenceData/messageTypes' })).statusCode).toBe(401)
  })
})

describe('registry refdata import FILE.json', () => {
  let dir: string
  const output: string[] = []
  const env = () => ({ DATABASE_URL: registry.database.url })
  const run = async (data: unknown) => {
    const file = join(dir, `refdata-${Math.random().toString(36).slice(2)}.json`)
    await writeFile(file, typeof data === 'string' ? data : JSON.stringify(data))
    output.length = 0
    return refdataCommand(['import', file], env(), (line) => output.push(line))
  }
  const snapshot = async () =>
    (
      await registry.pool.query(
        `SELECT (SELECT json_agg(t ORDER BY message_type_id) FROM (SELECT message_type_id, name FROM message_types) t) AS types,
                (SELECT json_agg(a ORDER BY application_id) FROM (SELECT application_id, name FROM sender_applications) a) AS apps,
                (SELECT count(*) FROM sender_configurations) AS configurations`,
      )
    ).rows[0]

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'refdata-'))
  })

  it('serves contactBusiness/contactTechnical as strings (2.1), from a string or the earlier object form', async () => {
    const status = await run({
      senderApplications: [
        {
          applicationId: 'contact-app',
          senderOrganizationId: '0566988259',
          applicationName: { nl: 'Contact' },
          contactBusiness: 'https://help.example/form, +32 2 111 11 11',
          contactTechnical: { email: 'tech@help.example', phone: '+32 2 222 22 22' },
        },
      ],
    })
    expect(status, output.join('\n')).toBe(0)
    await expect
      .poll(async () => (await registry.get('/referenceData/senderApplications/contact-app')).statusCode, {
        timeout: 5_000,
      })
      .toBe(200)
    const application = (await registry.get('/referenceData/senderApplications/contact-app')).json()
    expect(application.contactBusiness).toBe('https://help.example/form, +32 2 111 11 11')
    expect(application.contactTechnical).toBe('tech@help.example, +32 2 222 22 22')
    // Rows stored before contacts were strings (a JSON object) are served as one string too.
    const organization = DEMO.referenceData.senderOrganizations[0]!
    await registry.pool.query(
      `UPDATE sender_organizations SET contact_technical = '{"email": "old@help.example"}' WHERE organization_id = $1`,
      [organization],
    )
    await registry.pool.query(`NOTIFY reference_data_changed`)
    await expect
      .poll(
        async () =>
          (await registry.get(`/referenceData/senderOrganizations/${organization}`)).json().contactTechnical,
        { timeout: 5_000 },
      )
      .toBe('old@help.example')
  })

  it('creates and replaces entries, and the search follows the new names', async () => {
    const status = await run({
      messageTypes: [
        {
          messageTypeId: 'invoice',
          messageTypeName: {
            fr: 'Facture fournisseur',
            nl: 'Leveranciersfactuur',
            de: 'Lieferantenrechnung',
          },
          validityPeriod: { validityPeriodNumber: 6, validityPeriodUnit: 'month' },
        },
        {
          messageTypeId: 'reminder',
          messageTypeName: { fr: 'Rappel' },
          validityPeriod: { validityPeriodNumber: 30, validityPeriodUnit: 'day' },
        },
      ],
      senderApplications: [
        {
          applicationId: 'new-app',
          senderOrganizationId: '0566988259',
          applicationName: { nl: 'Nieuwe toepassing' },
          messageTypes: [{ messageTypeId: 'reminder', recipientTypes: ['enterprise'] }],
        },
      ],
    })
    expect(status, output.join('\n')).toBe(0)
    expect(output.join('\n')).toContain(
      'imported 0 sender organisations, 1 sender applications, 2 message types',
    )
    // Another process imported: the registry's cached answer goes at the NOTIFY, a moment after the commit.
    const invoice = async () => (await registry.get('/referenceData/messageTypes/invoice')).json()
    await expect
      .poll(async () => (await invoice()).messageTypeName.de, { timeout: 5_000 })
      .toBe('Lieferantenrechnung')
    const reminder = (await registry.get('/referenceData/messageTypes/reminder')).json()
    expect(reminder.messageTypeName).toEqual({ nl: 'Rappel', fr: 'Rappel', de: 'Rappel' })
    expect(reminder.senderApplicationIds).toEqual(['new-app'])
    const found = (await registry.get('/ebox/messages?q=lieferantenrechnung&qlang=de&pageSize=100')).json()
    expect(found.totalItems).toBe(
      registry.set.messages.filter(
        (m) =>
          m.messageTypeId === 'invoice' &&
          m.recipient.eboxType === 'enterprise' &&
          m.recipient.enterpriseNumber === DEMO.enterprise &&
          m.expiresAt > new Date(),
      ).length,
    )
  })

  it.each([
    [
      'a schema error',
      { messageTypes: [{ messageTypeId: 'ok', messageTypeName: { fr: 'x' } }] },
      'messageTypes[0] "ok"',
    ],
    [
      'a bad check digit',
      { senderOrganizations: [{ organizationId: '0123456789', organizationShortName: { fr: 'x' } }] },
      'senderOrganizations[0] "0123456789"',
    ],
    [
      'an unknown organisation',
      {
        senderApplications: [
          { applicationId: 'a1', senderOrganizationId: '0566988259', applicationName: { fr: 'a' } },
          { applicationId: 'a2', senderOrganizationId: '0474028805', applicationName: { fr: 'b' } },
        ],
      },
      'senderApplications[1] "a2"',
    ],
    [
      'an unknown message type',
      {
        senderApplications: [
          {
            applicationId: 'a3',
            senderOrganizationId: '0566988259',
            applicationName: { fr: 'a' },
            messageTypes: [{ messageTypeId: 'nope', recipientTypes: ['citizen'] }],
          },
        ],
      },
      'senderApplications[0] "a3"',
    ],
    [
      'a duplicate',
      {
        messageTypes: [
          {
            messageTypeId: 'd',
            messageTypeName: { fr: 'd' },
            validityPeriod: { validityPeriodNumber: 1, validityPeriodUnit: 'day' },
          },
          {
            messageTypeId: 'd',
            messageTypeName: { fr: 'd' },
            validityPeriod: { validityPeriodNumber: 1, validityPeriodUnit: 'day' },
          },
        ],
      },
      '"d" appears twice',
    ],
    ['an unknown property', { messageTypes: [], extra: true }, 'extra: Unexpected property'],
    ['no JSON', '{ not json', 'not a readable JSON file'],
  ])('refuses a file with %s, names the entry and changes nothing', async (_, data, named) => {
    const before = await snapshot()
    const valid = {
      messageTypes: [
        {
          messageTypeId: 'would-be-added',
          messageTypeName: { fr: 'x' },
          validityPeriod: { validityPeriodNumber: 1, validityPeriodUnit: 'day' },
        },
      ],
    }
    const file = typeof data === 'string' ? data : { ...valid, ...data }
    expect(await run(file)).toBe(1)
    expect(output.join('\n')).toContain(named)
    expect(await snapshot()).toEqual(before)
  })

  it('prints its usage for a wrong command line', async () => {
    output.length = 0
    expect(await refdataCommand(['export'], env(), (line) => output.push(line))).toBe(2)
    expect(output).toEqual(['usage: registry refdata import FILE.json'])
  })
})
