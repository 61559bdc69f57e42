import { randomBytes } from 'node:crypto'
import pg from 'pg'

export interface IsolatedDatabase {
  name: string
  url: string
  drop(): Promise<void>
}

/** Replaces the database name of a connection string. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

async function admin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A new empty database (or a copy of `template`) on the server of `adminUrl`, named `prefix_<random>`. */
export async function createIsolatedDatabase(
  adminUrl: string,
  options: { prefix?: string; template?: string } = {},
): Promise<IsolatedDatabase> {
  const name = `${options.prefix ?? 'test'}_${randomBytes(6).toString('hex')}`
  const template = options.template ? ` TEMPLATE "${options.template}"` : ''
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"${template}`))
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () =>
      admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => {},
      ),
  }
}
