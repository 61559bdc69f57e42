import pg from 'pg'
import { beforeAll, describe, expect, it } from 'vitest'
import { createIsolatedDatabase, withDatabase } from './databases.ts'
import { testAdminUrl } from './test-server.ts'

describe('test database server', () => {
  let adminUrl: string
  beforeAll(() => {
    adminUrl = testAdminUrl()
  })

  it('gives each caller its own database, copied from a template', async () => {
    const template = await createIsolatedDatabase(adminUrl, { prefix: 'tpl' })
    const seed = new pg.Client({ connectionString: template.url })
    await seed.connect()
    await seed.query('CREATE TABLE marker (id int); INSERT INTO marker VALUES (42)')
    await seed.end()

    const copy = await createIsolatedDatabase(adminUrl, { template: template.name })
    const client = new pg.Client({ connectionString: copy.url })
    await client.connect()
    const { rows } = await client.query('SELECT id FROM marker')
    await client.end()
    expect(rows).toEqual([{ id: 42 }])

    await copy.drop()
    await template.drop()
  })

  it('replaces only the database name of a URL', () => {
    expect(withDatabase('postgres://u:p@h:5/a?sslmode=disable', 'b')).toBe(
      'postgres://u:p@h:5/b?sslmode=disable',
    )
  })
})
