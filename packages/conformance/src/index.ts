export { ALL_CHECKS } from './checks/index.ts'
export * from './client-credentials.ts'
export { demoExpectations, resolveDataSet } from './data-sets.ts'
export {
  CheckContext,
  type CheckDefinition,
  CheckFailure,
  CheckSkipped,
  type DataSetExpectations,
  DEFAULT_LIMITS,
  defineCheck,
  type Limits,
} from './framework.ts'
export { INVALID_TOKEN, ReadOnlyViolation } from './http.ts'
export { toJUnit } from './reporters/junit.ts'
export { toMarkdown } from './reporters/markdown.ts'
export { formatResultLine, formatSummary } from './reporters/terminal.ts'
export { type RunOptions, runConformance, selectChecks } from './runner.ts'
export {
  federationProfileOf,
  localIssuerSources,
  ROLE_SCOPES,
  roleScopes,
  runTokenCommand,
  TokenError,
  type TokenSource,
} from './tokens.ts'
export * from './types.ts'
