export { type App, buildApp } from './app.ts'
export { type Config, ConfigError, loadConfig } from './config.ts'
export { migrateUp } from './db/migrate.ts'
