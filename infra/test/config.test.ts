import { describe, expect, test } from 'vitest'
import {
  checkImage,
  fromPulumiString,
  parseStackConfig,
  placeholders,
  splitStackConfig,
} from '../src/config.ts'
import { buildManifests } from '../src/manifests.ts'
import { loadStackFile } from '../src/stack-file.ts'
import { externalDatabase, stackConfig } from './stacks.ts'

const digest = 'a'.repeat(64)

describe('image reference', () => {
  test('accepts repository@sha256:<digest>, a registry port included', () => {
    expect(checkImage(`ghcr.io/ebox/registry@sha256:${digest}`)).toBe(
      `ghcr.io/ebox/registry@sha256:${digest}`,
    )
    expect(checkImage(`registry.local:5000/ebox/registry@sha256:${digest}`)).toContain('@sha256:')
  })

  test.each([
    'ghcr.io/ebox/registry:1.4.0',
    'ghcr.io/ebox/registry',
    'ghcr.io/ebox/registry:latest',
    'ghcr.io/ebox/registry@sha256:abc',
  ])('refuses %s with a message that says why', (image) => {
    expect(() => checkImage(image)).toThrow(
      `ebox-registry:image must be pinned by digest as repository@sha256:<64 hex>, got "${image}". ` +
        'Tags are refused: they can move, so the stack would not say which build runs.',
    )
  })

  test('refuses a tag next to the digest', () => {
    expect(() => checkImage(`ghcr.io/ebox/registry:1.4.0@sha256:${digest}`)).toThrow(/must not carry a tag/)
  })
})

/** The committed prd config as plain keys, for one change at a time. */
function prdRaw() {
  const { raw } = splitStackConfig(stackConfig('prd').config, (key, value) => ({
    secret: /:(databaseUrl|oauthClientKey)$/.test(key),
    value: fromPulumiString(value),
  }))
  return raw as { [key: string]: unknown; oauth: Record<string, unknown> }
}
const secretsSet = { databaseUrl: true, oauthClientKey: true }

describe('stack config', () => {
  test('the committed stack files parse', () => {
    expect(loadStackFile('acc')).toMatchObject({ stack: 'acc', environment: 'acceptation', replicas: 1 })
    expect(loadStackFile('prd')).toMatchObject({ stack: 'prd', environment: 'production', replicas: 3 })
    expect(parseStackConfig('prd', prdRaw(), secretsSet).logLevel).toBe('info')
  })

  test('names every invalid or unknown key', () => {
    const raw = prdRaw()
    raw.replicas = 0
    raw.repilcas = 3
    raw.oauth.tokenUrl = 'http://services.socialsecurity.be/REST/oauth/v5/token'
    const error = (() => {
      try {
        parseStackConfig('prd', raw, secretsSet)
      } catch (e) {
        return (e as Error).message
      }
    })()
    expect(error).toMatch(/^invalid config for stack prd:/)
    expect(error).toContain('ebox-registry:replicas: Expected integer to be greater or equal to 1')
    expect(error).toContain('ebox-registry:oauth.tokenUrl: Expected string to match')
    expect(error).toContain('ebox-registry:repilcas: Unexpected property')
  })

  test('keeps replicas within the autoscaling bounds', () => {
    const raw = prdRaw()
    raw.replicas = 11
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      'ebox-registry:replicas (11) must lie within autoscaling 3..10',
    )
  })

  test('requires the endpoints of the OAuth mode', () => {
    const raw = prdRaw()
    delete raw.oauth.introspectionUrl
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      /introspectionUrl is required in introspection mode/,
    )
    raw.oauth.mode = 'jwt'
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      /issuer, audience and jwksUrl are required in jwt mode/,
    )
  })

  test('requires the expected issuer and audience in introspection mode too (issue 23)', () => {
    for (const claim of ['issuer', 'audience']) {
      const raw = prdRaw()
      expect(raw.oauth.mode).toBe('introspection')
      delete raw.oauth[claim]
      expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
        /oauth.issuer and oauth.audience are required in every mode/,
      )
    }
  })

  test('passes federation profile overrides to the service, and refuses a name the service does not read', () => {
    const raw = prdRaw()
    raw.federationProfile = { FEDERATION_WEBHOOK_SCOPE: 'scope:golive:webhook' }
    const settings = parseStackConfig('prd', raw, secretsSet)
    const { config } = buildManifests(settings)
    expect(config.data?.FEDERATION_WEBHOOK_SCOPE).toBe('scope:golive:webhook')
    raw.federationProfile = { FEDERATION_WEBHOK_SCOPE: 'x' }
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      /federationProfile.FEDERATION_WEBHOK_SCOPE is not a variable of the service/,
    )
  })

  test('allows the certification reset in production for named test e-Boxes only (issue 18)', () => {
    const raw = prdRaw()
    raw.certificationReset = true
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      /certificationReset needs certificationTestEboxes/,
    )
    raw.certificationTestEboxes = ['0406798006']
    expect(parseStackConfig('prd', raw, secretsSet)).toMatchObject({
      certificationReset: true,
      certificationTestEboxes: ['0406798006'],
    })
  })

  test('takes each secret from a Pulumi secret or an existing Secret, exactly one', () => {
    const raw = prdRaw()
    raw.database = externalDatabase
    expect(() => parseStackConfig('prd', raw, { databaseUrl: false, oauthClientKey: true })).toThrow(
      'missing ebox-registry:databaseUrl: set it with `pulumi config set --secret databaseUrl`, ' +
        'or point ebox-registry:databaseSecretRef at an existing Kubernetes Secret',
    )
    raw.databaseSecretRef = { name: 'registry-database', key: 'url' }
    expect(parseStackConfig('prd', raw, { databaseUrl: false, oauthClientKey: true }).secrets).toEqual({
      databaseUrl: { name: 'registry-database', key: 'url', managed: false },
      oauthClientKey: { name: 'registry-secrets', key: 'oauth-client-key', managed: true },
    })
    expect(() => parseStackConfig('prd', raw, secretsSet)).toThrow(
      /set either ebox-registry:databaseUrl or ebox-registry:databaseSecretRef/,
    )
  })

  test('refuses a secret in plain config, and a plain setting stored as a secret', () => {
    const plain = { 'ebox-registry:oauthClientKey': '-----BEGIN PRIVATE KEY-----' }
    expect(() => splitStackConfig(plain, (_key, value) => ({ secret: false, value }))).toThrow(
      'ebox-registry:oauthClientKey is stored in plain text: remove it and run `pulumi config set --secret oauthClientKey`',
    )
    expect(() =>
      splitStackConfig({ 'ebox-registry:replicas': '3' }, (_key, value) => ({ secret: true, value })),
    ).toThrow(/ebox-registry:replicas is not a secret setting/)
  })

  test('lists the placeholders still to replace', () => {
    expect(placeholders(loadStackFile('prd'))).toEqual([
      'ebox-registry:database.apiServer.cidrs',
      'ebox-registry:database.backup.cidrs',
      'ebox-registry:oauth.cidrs',
      'ebox-registry:ees.cidrs',
      'ebox-registry:partitionService.cidrs',
      'ebox-registry:objectStorage.cidrs',
      'ebox-registry:ingress.host',
      'ebox-registry:image',
      'ebox-registry:database.imageName',
      'ebox-registry:database.backup.endpointURL',
    ])
  })

  test('a CloudNativePG stack wires its own database URLs; the databaseUrl secret is for external mode', () => {
    expect(parseStackConfig('prd', prdRaw(), secretsSet).secrets).toEqual({
      oauthClientKey: { name: 'registry-secrets', key: 'oauth-client-key', managed: true },
    })
  })
})
