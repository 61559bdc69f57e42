/**
 * Restore drill, offline: renders a stack as it would be during a point-in-time recovery (the recovery Cluster
 * next to the running one, or promoted), validates every manifest, and runs the policy pack's rules over it.
 * It proves the recovery manifests are complete and policy-clean before anyone needs them; the restore itself
 * runs against real object storage (docs/operations.md, "Restore drill").
 *   pnpm --filter infra restore-drill -- --stack prd --target-time 2026-12-01T09:30:00Z [--promote]
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { PolicyResource, ResourceValidationArgs, StackValidationArgs } from '@pulumi/policy'
import type { Settings } from './config.ts'
import { buildManifests, type KubeObject, manifestList } from './manifests.ts'
import { resourceRules, stackRules } from './policy/rules.ts'
import { loadStackFile } from './stack-file.ts'
import { validateManifest } from './validate.ts'

/** The Pulumi type of a manifest, as the policy engine sees it (`kubernetes:core/v1:Service`, …). */
export function pulumiType(manifest: KubeObject): string {
  const apiVersion = manifest.apiVersion.includes('/') ? manifest.apiVersion : `core/${manifest.apiVersion}`
  return `kubernetes:${apiVersion}:${manifest.kind}`
}

/** Stack rules that read the rendered objects (ordering rules need Pulumi's dependency graph: not here). */
const renderedStackRules = stackRules.filter((rule) => rule.name !== 'migration-before-rollout')

/** Every problem of a rendered stack: schema validation and policy violations, each prefixed by its object. */
export function checkRendered(manifests: KubeObject[]): string[] {
  const problems: string[] = []
  const resources = manifests.map(
    (manifest) =>
      ({
        type: pulumiType(manifest),
        props: manifest,
        urn: `${manifest.kind}/${manifest.metadata?.name}`,
        name: manifest.metadata?.name,
        dependencies: [],
      }) as unknown as PolicyResource,
  )
  for (const manifest of manifests) {
    for (const problem of validateManifest(manifest))
      problems.push(`${manifest.kind} ${manifest.metadata?.name}: ${problem}`)
  }
  for (const resource of resources) {
    for (const rule of resourceRules) {
      const validate = rule.validateResource as (
        args: ResourceValidationArgs,
        report: (m: string) => void,
      ) => void
      validate(resource as unknown as ResourceValidationArgs, (message) =>
        problems.push(`${resource.urn}: ${rule.name}: ${message}`),
      )
    }
  }
  for (const rule of renderedStackRules) {
    rule.validateStack({ resources } as unknown as StackValidationArgs, (message: string) =>
      problems.push(`stack: ${rule.name}: ${message}`),
    )
  }
  return problems
}

/** The stack's settings with a point-in-time recovery configured. */
export function withRecovery(
  settings: Settings,
  targetTime: string,
  promote = false,
  retireOrigin = false,
): Settings {
  if (settings.database.mode !== 'cloudnative-pg') {
    throw new Error(`stack ${settings.stack} uses an external database: restore it with the provider's tools`)
  }
  return { ...settings, database: { ...settings.database, recovery: { targetTime, promote, retireOrigin } } }
}

export function restoreDrill(stack: string, targetTime: string, promote = false, retireOrigin = false) {
  const manifests = manifestList(
    buildManifests(withRecovery(loadStackFile(stack), targetTime, promote, retireOrigin)),
  )
  return { manifests, problems: checkRendered(manifests) }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: { stack: { type: 'string' }, 'target-time': { type: 'string' }, promote: { type: 'boolean' } },
  })
  if (!values.stack || !values['target-time']) {
    console.error(
      'usage: pnpm --filter infra restore-drill -- --stack <acc|prd> --target-time <RFC 3339> [--promote]',
    )
    process.exit(2)
  }
  const { manifests, problems } = restoreDrill(values.stack, values['target-time'], values.promote)
  for (const problem of problems) console.error(problem)
  const restore = manifests.find((m) => m.kind === 'Cluster' && m.metadata?.name?.endsWith('-restore'))
  console.log(
    `${manifests.length} manifests; recovery cluster ${restore?.metadata?.name ?? '(none)'}; ${problems.length} problems`,
  )
  process.exitCode = problems.length > 0 || !restore ? 1 : 0
}
