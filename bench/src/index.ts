/**
 * What other harnesses (chaos/) reuse: the registry as a process of its own, the benchmark data set, and the
 * database helpers. Everything else in this package is the benchmark itself.
 */
export { openBenchDatabase, repositoryRoot, withClient } from './database.ts'
export { type Dataset, type DatasetSpec, generateDataset, SMOKE_SPEC } from './generate.ts'
export {
  AUDIENCE,
  fromSource,
  memoryOf,
  type OAuthMode,
  type RegistryProcess,
  registryServeArgs,
  spawnNode,
  startRegistry,
  stopChild,
} from './service/registry-process.ts'
