import { readFile } from 'node:fs/promises'
import { ConfigError } from '../config.ts'
import { createPool, inTransaction } from '../db/pool.ts'
import {
  importReferenceData,
  parseReferenceDataImport,
  ReferenceDataImportError,
} from '../repositories/reference-data/import.ts'

/**
 * `registry refdata import FILE.json`: validates the whole file (schema of `ReferenceDataImport`, enterprise number
 * check digits, duplicates, cross references), then creates or replaces its entries in one transaction. An
 * invalid file changes nothing; the message names the entry at fault. Returns the exit status.
 */
export async function refdataCommand(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  print: (line: string) => void = console.log,
): Promise<number> {
  const [action, file, ...rest] = args
  if (action !== 'import' || !file || rest.length > 0) {
    print('usage: registry refdata import FILE.json')
    return 2
  }
  const url = env.DATABASE_URL
  if (!url) throw new ConfigError(['DATABASE_URL is required'])
  let data: unknown
  try {
    data = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    print(`refdata: ${file} is not a readable JSON file: ${(error as Error).message}`)
    return 1
  }
  const pool = createPool({ connectionString: url, max: 2, statementTimeoutMs: 60_000 })
  try {
    const parsed = parseReferenceDataImport(data)
    const counts = await inTransaction(pool, (client) => importReferenceData(client, parsed))
    print(
      `imported ${counts.senderOrganizations} sender organisations, ${counts.senderApplications} sender ` +
        `applications, ${counts.messageTypes} message types from ${file}`,
    )
    return 0
  } catch (error) {
    if (error instanceof ReferenceDataImportError) {
      print(`refdata: ${file}: ${error.message}; nothing was imported`)
      return 1
    }
    throw error
  } finally {
    await pool.end()
  }
}
