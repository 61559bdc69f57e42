export * from './model.ts'
export * from './schema.ts'
