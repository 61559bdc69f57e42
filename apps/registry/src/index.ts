export { type App, buildApp } from './app.ts'
export { createVerifier } from './auth/create-verifier.ts'
export { type Config, ConfigError, loadConfig } from './config.ts'
export { CHUNK_BYTES } from './db/content-store.ts'
export { migrateUp } from './db/migrate.ts'
export { createPool } from './db/pool.ts'
export { seedDemoDataSet } from './demo/seed.ts'
export {
  importReferenceData,
  parseReferenceDataImport,
} from './repositories/reference-data/import.ts'
