export * from './client-credentials.ts'
export * from './constants.ts'
export * from './errors.ts'
export * from './issuer.ts'
