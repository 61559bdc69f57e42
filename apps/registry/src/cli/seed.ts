import { DEMO } from '@ebox/demo-data'
import { ConfigError } from '../config.ts'
import { createPool } from '../db/pool.ts'
import { seedDemoDataSet } from '../demo/seed.ts'

/**
 * `registry seed demo`: loads the demo data set (`@ebox/demo-data`) into DATABASE_URL, every date relative to
 * now. Its e-Boxes are emptied first: running it again restores the set. Returns the exit status.
 */
export async function seedCommand(
  args: string[],
  env: Record<string, string | undefined> = process.env,
  print: (line: string) => void = console.log,
): Promise<number> {
  if (args[0] !== 'demo' || args.length > 1) {
    print('usage: registry seed demo')
    return 2
  }
  const url = env.DATABASE_URL
  if (!url) throw new ConfigError(['DATABASE_URL is required'])
  const pool = createPool({ connectionString: url, max: 2, statementTimeoutMs: 60_000 })
  try {
    const set = await seedDemoDataSet(pool)
    print(
      `loaded the demo data set: ${set.messages.length} messages in ${set.eboxes.length} e-Boxes ` +
        `(main enterprise e-Box ${DEMO.enterprise}), reference data of ${set.referenceData.senderOrganizations?.length ?? 0} sender organisations`,
    )
    return 0
  } finally {
    await pool.end()
  }
}
