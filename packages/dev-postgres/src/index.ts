export * from './databases.ts'
export * from './embedded.ts'
export * from './test-server.ts'
