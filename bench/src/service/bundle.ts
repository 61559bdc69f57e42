import { basename, join } from 'node:path'
import { build } from 'esbuild'
import { repositoryRoot } from '../database.ts'

const BUNDLES = join(repositoryRoot, 'bench/node_modules/.cache/ebox-bench')

/**
 * A TypeScript entry of this package as one plain ES module in `outfile`, so that the processes under measurement
 * run without tsx, as production runs. Its own files are bundled; packages stay imports and resolve to their
 * builds (workspace packages to dist/: the harness builds them first).
 */
export async function bundleEntry(entry: string): Promise<string> {
  // Inside bench/node_modules, so that the bundle's imports resolve to this package's dependencies.
  const outfile = join(BUNDLES, `${basename(entry, '.ts')}-${process.pid}.mjs`)
  await build({
    entryPoints: [join(repositoryRoot, entry)],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    logLevel: 'warning',
  })
  return outfile
}
