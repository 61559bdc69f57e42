import { buildApp } from '../../src/app.ts'
import { createVerifier } from '../../src/auth/create-verifier.ts'
import { loadConfig } from '../../src/config.ts'
import { createPool } from '../../src/db/pool.ts'

/**
 * The registry in a process of its own, for the test that kills a process mid-upload
 * (publication-streaming.test.ts). Configured from the environment like `registry serve`; prints its port.
 */
const config = loadConfig()
const pool = createPool({
  connectionString: config.databaseUrl,
  max: config.db.poolMax,
  statementTimeoutMs: config.db.statementTimeoutMs,
})
const app = await buildApp({ config, pool, verifier: createVerifier(config.oauth), logger: false })
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`)
