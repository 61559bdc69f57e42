/**
 * The Pulumi program of stacks `acc` and `prd`: reads and checks the stack config, then creates the
 * MessageRegistry. Stack outputs are the named exports below.
 */
import * as pulumi from '@pulumi/pulumi'
import { admissionPolicy } from './admission.ts'
import { MessageRegistry } from './component.ts'
import {
  fromPulumiString,
  parseStackConfig,
  placeholders,
  project,
  secretNames,
  splitStackConfig,
} from './config.ts'

// The SDK knows which keys were set with --secret but keeps that check internal; without it, trust the name.
const sdk = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }
const isSecret = (key: string) =>
  sdk.isConfigSecret?.(key) ?? secretNames.some((name) => key.endsWith(`:${name}`))

const { raw, pulumiSecrets } = splitStackConfig(pulumi.runtime.allConfig(), (key, value) => ({
  secret: isSecret(key),
  value: fromPulumiString(value),
}))
const settings = parseStackConfig(pulumi.getStack(), raw, pulumiSecrets)
for (const key of placeholders(settings)) {
  pulumi.log.warn(
    `${key} still holds a placeholder: set the real value before deploying (docs/operations.md)`,
  )
}

const config = new pulumi.Config(project)
const secretValues = Object.fromEntries(
  secretNames.flatMap((name) => {
    const value = config.getSecret(name)
    return value === undefined ? [] : [[name, value]]
  }),
)
const registry = new MessageRegistry('registry', { settings, secretValues })
// PRD admits only images with ACC's signed verification (docs/release-process.md, threat model).
const admission =
  settings.environment === 'production'
    ? [
        admissionPolicy(
          'registry-admission',
          {
            namespace: settings.namespace,
            imageRepository: settings.image.split('@')[0] ?? settings.image,
            sourceRepository: new pulumi.Config('ebox-admission').require('sourceRepository'),
          },
          { parent: registry },
        ),
      ]
    : []

export const url = registry.url
export const namespace = settings.namespace
export const image = settings.image
export const migrationJob = registry.migration.metadata.name
/** URNs of every object the stack manages. */
export const resources = pulumi.all([...registry.resources, ...admission].map((resource) => resource.urn))
