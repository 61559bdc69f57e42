import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { parseStackConfig, type Settings, secretNames, secretRefKeys, splitStackConfig } from './config.ts'

export const infraDir = new URL('..', import.meta.url).pathname

/**
 * Reads `Pulumi.<stack>.yaml` without the Pulumi CLI. Encrypted values (`secure: …`) cannot be read
 * here; they only count as set, which is all the manifests need. A secret not set at all is taken as
 * the Pulumi secret that `pulumi up` will require, so a fresh checkout renders too.
 */
export function loadStackFile(stack: string, dir = infraDir): Settings {
  const file = join(dir, `Pulumi.${stack}.yaml`)
  const document = parse(readFileSync(file, 'utf8')) as { config?: Record<string, unknown> } | null
  const { raw, pulumiSecrets } = splitStackConfig(document?.config ?? {}, (_key, value) => {
    const secure = typeof value === 'object' && value !== null && 'secure' in value
    return { secret: secure, value }
  })
  for (const name of secretNames) {
    if (!(secretRefKeys[name] in raw)) pulumiSecrets[name] = true
  }
  return parseStackConfig(stack, raw, pulumiSecrets)
}
