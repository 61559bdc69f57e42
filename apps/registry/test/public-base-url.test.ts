import { DEMO } from '@ebox/demo-data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.ts'
import { type DemoRegistry, startDemoRegistry } from './support/demo.ts'

/** Issue 18: `contentHref` is an absolute URL under PUBLIC_BASE_URL (2.1: `format: uri`). */
const PUBLIC = 'https://dp.example.test/registry'
let registry: DemoRegistry
beforeAll(async () => {
  registry = await startDemoRegistry({ PUBLIC_BASE_URL: `${PUBLIC}/` })
})
afterAll(() => registry.close())

const under = (href: string, path: RegExp) => {
  expect(href.startsWith(`${PUBLIC}/`), href).toBe(true)
  expect(href.slice(PUBLIC.length)).toMatch(path)
}
const ATTACHMENT = /^\/ebox\/messages\/[0-9a-f-]{36}\/attachments\/[^/]+\/content$/

describe('contentHref', () => {
  it('of every attachment in the list, a message and its attachments is absolute under PUBLIC_BASE_URL', async () => {
    const list = (await registry.get('/ebox/messages?pageSize=100')).json()
    const hrefs = list.items.flatMap((m: { attachments: { items: { contentHref: string }[] } }) =>
      m.attachments.items.map((a) => a.contentHref),
    )
    expect(hrefs.length).toBeGreaterThan(0)
    for (const href of hrefs) under(href, ATTACHMENT)
    const message = (await registry.get(`/ebox/messages/${DEMO.messages.mainPdf}`)).json()
    const [first] = message.attachments.items
    under(first.contentHref, ATTACHMENT)
    const attachments = (await registry.get(`/ebox/messages/${DEMO.messages.mainPdf}/attachments`)).json()
    expect(attachments.items[0].contentHref).toBe(first.contentHref)
    const one = (
      await registry.get(`/ebox/messages/${DEMO.messages.mainPdf}/attachments/${first.attachmentId}`)
    ).json()
    expect(one.contentHref).toBe(first.contentHref)
    // The path under the public URL is the one the service serves.
    const path = new URL(first.contentHref).pathname.slice(new URL(PUBLIC).pathname.length)
    expect((await registry.get(path)).statusCode).toBe(200)
  })

  it('of every logo is absolute, in the list and the item, and the same when served from the cache', async () => {
    for (const collection of ['senderOrganizations', 'senderApplications']) {
      for (let round = 0; round < 2; round++) {
        const list = (await registry.get(`/referenceData/${collection}?pageSize=100`)).json()
        const logos = list.items.flatMap(
          (item: {
            organizationLogos?: { contentHref: string }[]
            applicationLogos?: { contentHref: string }[]
          }) => item.organizationLogos ?? item.applicationLogos ?? [],
        )
        expect(logos.length).toBeGreaterThan(0)
        for (const logo of logos)
          under(logo.contentHref, /^\/referenceData\/sender\w+\/[^/]+\/images\/[^/]+\/content$/)
      }
    }
  })
})

describe('PUBLIC_BASE_URL', () => {
  const base = {
    DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
    OAUTH_ISSUER: 'https://issuer.example',
    OAUTH_AUDIENCE: 'registry',
    OAUTH_JWKS_URL: 'https://issuer.example/jwks',
  }
  const problemsOf = (env: Record<string, string>) => {
    try {
      loadConfig(env)
      return []
    } catch (error) {
      if (error instanceof ConfigError) return error.problems
      throw error
    }
  }

  it("defaults to the service's own address in development", () => {
    expect(loadConfig({ ...base, HOST: '0.0.0.0', PORT: '8123' }).publicBaseUrl).toBe('http://localhost:8123')
    expect(loadConfig({ ...base, PORT: '8124' }).publicBaseUrl).toBe('http://127.0.0.1:8124')
  })

  it.each(['acceptation', 'production'])('is required, and https, in %s', (environment) => {
    expect(problemsOf({ ...base, EBOX_ENVIRONMENT: environment })).toContain('PUBLIC_BASE_URL is required')
    expect(
      problemsOf({ ...base, EBOX_ENVIRONMENT: environment, PUBLIC_BASE_URL: 'http://dp.example.test' }),
    ).toContain('PUBLIC_BASE_URL must be a https: URL, got "http:"')
    expect(
      problemsOf({
        ...base,
        EBOX_ENVIRONMENT: environment,
        PUBLIC_BASE_URL: 'https://dp.example.test',
      }).filter((p) => p.includes('PUBLIC_BASE_URL')),
    ).toEqual([])
  })

  it('refuses a query or a fragment', () => {
    expect(problemsOf({ ...base, PUBLIC_BASE_URL: 'https://dp.example.test/?x=1' })).toContain(
      'PUBLIC_BASE_URL may not have a query or a fragment',
    )
  })
})
