import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import { placeholders } from './config.ts'
import { buildManifests, manifestList } from './manifests.ts'
import { infraDir, loadStackFile } from './stack-file.ts'
import { validateManifest } from './validate.ts'

/**
 * Builds and validates a stack's manifests, then writes one YAML file per object to `outDir`.
 * Returns the files and the config keys that still hold placeholders.
 */
export function renderStack(
  stack: string,
  outDir = join(infraDir, 'rendered', stack),
): { files: string[]; placeholders: string[] } {
  const settings = loadStackFile(stack)
  const manifests = manifestList(buildManifests(settings))
  const problems = manifests.flatMap((manifest) =>
    validateManifest(manifest).map((problem) => `${manifest.kind} ${manifest.metadata?.name}: ${problem}`),
  )
  if (problems.length > 0) throw new Error(`stack ${stack} does not validate:\n  ${problems.join('\n  ')}`)

  rmSync(outDir, { recursive: true, force: true })
  mkdirSync(outDir, { recursive: true })
  const files = manifests.map((manifest, index) => {
    const file = join(
      outDir,
      `${String(index + 1).padStart(2, '0')}-${manifest.kind}-${manifest.metadata?.name}.yaml`,
    )
    writeFileSync(file, stringify(manifest))
    return file
  })
  return { files, placeholders: placeholders(settings) }
}

// `pnpm --filter infra render -- --stack prd [--out DIR]`; pnpm passes the `--` along.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: { stack: { type: 'string' }, out: { type: 'string' } },
  })
  if (!values.stack) {
    console.error('usage: pnpm --filter infra render -- --stack <acc|prd> [--out DIR]')
    process.exit(2)
  }
  try {
    const { files, placeholders } = renderStack(values.stack, values.out)
    console.log(`${files.length} manifests of stack ${values.stack} written to ${join(files[0]!, '..')}`)
    for (const key of placeholders) console.log(`note: ${key} still holds a placeholder`)
  } catch (error) {
    console.error((error as Error).message)
    process.exit(1)
  }
}
