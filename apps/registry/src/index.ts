// The registry's public surface: what bench/, capacity/, packages/* and the chaos suite may import
// (test/layers.test.ts refuses a deep import from outside the package).
export { type App, buildApp } from './app.ts'
export type { AuditEntry } from './audit/chain.ts'
export { appendAudit } from './audit/store.ts'
export { verifyAuditChain } from './audit/verify.ts'
export { createVerifier } from './auth/create-verifier.ts'
export { readConfiguration } from './config/reader.ts'
export { type Config, ConfigError, loadConfig } from './config.ts'
export { readContentStoreConfig } from './content/config.ts'
export { migrateContents } from './content/migrate-content.ts'
export { ObjectStore } from './content/object-store.ts'
export { CHUNK_BYTES } from './db/content-store.ts'
export { migrateUp } from './db/migrate.ts'
export { createPool, inTransaction } from './db/pool.ts'
export { seedDemoDataSet } from './demo/seed.ts'
export {
  importReferenceData,
  parseReferenceDataImport,
} from './repositories/reference-data/import.ts'
