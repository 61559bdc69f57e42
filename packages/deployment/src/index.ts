export * from './process.ts'
export * from './variables.ts'
