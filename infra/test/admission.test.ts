import { describe, expect, test } from 'vitest'
import { ACC_VERIFICATION_PREDICATE, GITHUB_OIDC_ISSUER, imageVerificationPolicy } from '../src/admission.ts'
import { evaluate, matchPattern, type Pod, type VerifiedAttestation, wildcard } from './kyverno.ts'
import { runProgram } from './stacks.ts'

const settings = {
  namespace: 'ebox-registry',
  imageRepository: 'ghcr.io/ebox/registry',
  sourceRepository: 'ebox/ebox-document-provider',
}
const policy = imageVerificationPolicy(settings)
const DIGEST = `sha256:${'d'.repeat(64)}`
const IMAGE = `ghcr.io/ebox/registry@${DIGEST}`
const SIGNER =
  'https://github.com/ebox/ebox-document-provider/.github/workflows/deploy-acc.yml@refs/heads/main'

const pod = (image = IMAGE, namespace = 'ebox-registry', init?: string): Pod => ({
  metadata: { name: 'registry-abc', namespace },
  spec: {
    containers: [{ name: 'registry', image }],
    ...(init ? { initContainers: [{ name: 'init', image: init }] } : {}),
  },
})

const verification = (
  overrides: Partial<VerifiedAttestation> = {},
  predicate: Record<string, unknown> = {},
) => ({
  predicateType: ACC_VERIFICATION_PREDICATE,
  subject: SIGNER,
  issuer: GITHUB_OIDC_ISSUER,
  predicate: {
    digest: DIGEST,
    conformance: [
      { profile: 'prod', passed: true },
      { profile: 'certification', passed: true },
    ],
    loadCheck: { passed: true },
    ...predicate,
  },
  ...overrides,
})

describe('the PRD admission policy', () => {
  test('admits the registry image by digest with the ACC verification signed by deploy-acc.yml on main', () => {
    expect(evaluate(policy, pod(), { [IMAGE]: [verification()] })).toEqual({ allowed: true, messages: [] })
  })

  test('refuses an image without the attestation', () => {
    const decision = evaluate(policy, pod(), {})
    expect(decision.allowed).toBe(false)
    expect(decision.messages).toEqual([
      `require-acc-verification: ${IMAGE} has no ${ACC_VERIFICATION_PREDICATE} attestation from the required signer`,
    ])
  })

  test('refuses the attestation signed by another workflow, another ref or another issuer', () => {
    for (const subject of [
      SIGNER.replace('deploy-acc.yml', 'ci.yml'),
      SIGNER.replace('refs/heads/main', 'refs/heads/feature'),
      SIGNER.replace('ebox/ebox-document-provider', 'mallory/fork'),
    ])
      expect(evaluate(policy, pod(), { [IMAGE]: [verification({ subject })] }).allowed).toBe(false)
    const issuer = 'https://accounts.google.com'
    expect(evaluate(policy, pod(), { [IMAGE]: [verification({ issuer })] }).allowed).toBe(false)
    const type = 'https://slsa.dev/provenance/v1'
    expect(evaluate(policy, pod(), { [IMAGE]: [verification({ predicateType: type })] }).allowed).toBe(false)
  })

  test('refuses an attestation that records a failed gate', () => {
    const failedLoad = verification({}, { loadCheck: { passed: false } })
    expect(evaluate(policy, pod(), { [IMAGE]: [failedLoad] }).messages).toEqual([
      `require-acc-verification: ${IMAGE}: the ACC load check did not pass`,
    ])
    const failedSuite = verification(
      {},
      {
        conformance: [
          { profile: 'prod', passed: false },
          { profile: 'certification', passed: true },
        ],
      },
    )
    expect(evaluate(policy, pod(), { [IMAGE]: [failedSuite] }).allowed).toBe(false)
    const oneSuite = verification({}, { conformance: [{ profile: 'prod', passed: true }] })
    expect(evaluate(policy, pod(), { [IMAGE]: [oneSuite] }).messages[0]).toContain('must both have run')
  })

  test('refuses any other image, a tag instead of a digest, or a foreign init container', () => {
    expect(evaluate(policy, pod('docker.io/library/busybox:latest'), {}).messages[0]).toContain(
      'only-the-registry-image-by-digest',
    )
    expect(evaluate(policy, pod('ghcr.io/ebox/registry:latest'), {}).allowed).toBe(false)
    const withInit = evaluate(policy, pod(IMAGE, 'ebox-registry', 'busybox'), { [IMAGE]: [verification()] })
    expect(withInit.allowed).toBe(false)
    expect(withInit.messages[0]).toContain('.spec.initContainers[0].image')
  })

  test('leaves other namespaces alone', () => {
    expect(evaluate(policy, pod('busybox', 'kube-system'), {}).allowed).toBe(true)
  })
})

describe('the evaluator', () => {
  test('matches Kyverno wildcards and the "if present" anchor', () => {
    expect(wildcard('ghcr.io/ebox/registry@sha256:*', IMAGE)).toBe(true)
    expect(wildcard('ghcr.io/ebox/registry@sha256:*', 'ghcr.io/ebox/registry:1')).toBe(false)
    expect(wildcard('a?c', 'abc')).toBe(true)
    expect(matchPattern({ '=(x)': 'a*' }, {})).toBeUndefined()
    expect(matchPattern({ '=(x)': 'a*' }, { x: 'b' })).toBe('.x: b is not a*')
    expect(matchPattern({ x: 'a' }, {})).toBe('.x: missing')
    expect(matchPattern({ l: ['a*'] }, { l: ['ab', 'b'] })).toBe('.l[1]: b is not a*')
  })

  test('lets an Audit policy through with its messages', () => {
    const audit = { spec: { ...policy.spec, validationFailureAction: 'Audit' } }
    expect(evaluate(audit, pod(), {})).toMatchObject({ allowed: true, messages: [expect.any(String)] })
  })
})

/** Fields the kyverno.io/v1 ClusterPolicy CRD documents, for the parts this policy uses. */
const DOCUMENTED: Record<string, string[]> = {
  '': ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['name', 'annotations', 'labels'],
  spec: [
    'validationFailureAction',
    'background',
    'webhookTimeoutSeconds',
    'failurePolicy',
    'rules',
    'admission',
    'applyRules',
  ],
  'spec.rules[]': ['name', 'match', 'exclude', 'validate', 'verifyImages', 'preconditions', 'context'],
  'spec.rules[].match': ['any', 'all'],
  'spec.rules[].match.any[]': ['resources', 'subjects', 'roles', 'clusterRoles'],
  'spec.rules[].match.any[].resources': [
    'kinds',
    'namespaces',
    'names',
    'selector',
    'namespaceSelector',
    'operations',
  ],
  'spec.rules[].validate': ['message', 'pattern', 'anyPattern', 'deny', 'failureAction'],
  'spec.rules[].verifyImages[]': [
    'type',
    'imageReferences',
    'skipImageReferences',
    'failureAction',
    'mutateDigest',
    'verifyDigest',
    'required',
    'useCache',
    'attestors',
    'attestations',
    'repository',
    'imageRegistryCredentials',
    'validate',
  ],
  'spec.rules[].verifyImages[].attestations[]': ['type', 'name', 'attestors', 'conditions'],
  'spec.rules[].verifyImages[].attestations[].attestors[]': ['count', 'entries'],
  'spec.rules[].verifyImages[].attestations[].attestors[].entries[]': [
    'keys',
    'certificates',
    'keyless',
    'attestor',
    'annotations',
    'repository',
  ],
  'spec.rules[].verifyImages[].attestations[].attestors[].entries[].keyless': [
    'subject',
    'subjectRegExp',
    'issuer',
    'issuerRegExp',
    'additionalExtensions',
    'roots',
    'rekor',
    'ctlog',
  ],
  'spec.rules[].verifyImages[].attestations[].attestors[].entries[].keyless.rekor': [
    'url',
    'pubkey',
    'ignoreTlog',
  ],
  'spec.rules[].verifyImages[].attestations[].conditions[]': ['all', 'any'],
  'spec.rules[].verifyImages[].attestations[].conditions[].all[]': ['key', 'operator', 'value', 'message'],
}
const FREE_FORM = [
  'metadata.annotations',
  'spec.rules[].validate.pattern',
  'spec.rules[].verifyImages[].attestations[].conditions[].all[].value',
]
const ENUMS: Record<string, string[]> = {
  'spec.validationFailureAction': ['Enforce', 'Audit'],
  'spec.failurePolicy': ['Fail', 'Ignore'],
  'spec.rules[].verifyImages[].type': ['Cosign', 'SigstoreBundle', 'Notary'],
  'spec.rules[].verifyImages[].failureAction': ['Enforce', 'Audit'],
  'spec.rules[].verifyImages[].attestations[].conditions[].all[].operator': [
    'Equals',
    'NotEquals',
    'In',
    'AnyIn',
    'AllIn',
    'NotIn',
    'AnyNotIn',
    'AllNotIn',
    'GreaterThan',
    'GreaterThanOrEquals',
    'LessThan',
    'LessThanOrEquals',
    'DurationGreaterThan',
    'DurationLessThan',
  ],
}

function unknownFields(value: unknown, path = ''): string[] {
  if (FREE_FORM.includes(path)) return []
  if (Array.isArray(value)) return value.flatMap((item) => unknownFields(item, `${path}[]`))
  if (typeof value === 'string' && ENUMS[path] && !ENUMS[path].includes(value)) return [`${path}: ${value}`]
  if (typeof value !== 'object' || value === null) return []
  const allowed = DOCUMENTED[path]
  if (!allowed) return [`${path}: not expected to be an object`]
  return Object.entries(value).flatMap(([key, sub]) =>
    allowed.includes(key)
      ? unknownFields(sub, path ? `${path}.${key}` : key)
      : [`${path}.${key}: unknown field`],
  )
}

describe('the policy shape', () => {
  test('uses only fields and values the kyverno.io/v1 ClusterPolicy CRD documents', () => {
    expect(unknownFields(policy)).toEqual([])
    expect(unknownFields({ ...policy, spec: { ...policy.spec, validationFailureMode: 'Enforce' } })).toEqual([
      'spec.validationFailureMode: unknown field',
    ])
    expect(
      unknownFields({ ...policy, spec: { ...policy.spec, validationFailureAction: 'enforce' } }),
    ).toEqual(['spec.validationFailureAction: enforce'])
  })

  test('is in the rendered prd stack, for the prd namespace and image, and only there', async () => {
    const prd = await runProgram('prd')
    const policies = prd.resources.filter((r) => r.type === 'kubernetes:kyverno.io/v1:ClusterPolicy')
    expect(policies).toHaveLength(1)
    const rendered = policies[0]!.inputs as typeof policy
    expect(unknownFields(rendered)).toEqual([])
    expect(rendered.spec.rules[1]?.verifyImages?.[0]?.imageReferences).toEqual(['ghcr.io/ebox/registry*'])
    expect(
      rendered.spec.rules[1]?.verifyImages?.[0]?.attestations[0]?.attestors[0]?.entries[0]?.keyless.subject,
    ).toBe(SIGNER)
    expect(evaluate(rendered, pod(), {}).allowed).toBe(false)
    expect(evaluate(rendered, pod(), { [IMAGE]: [verification()] }).allowed).toBe(true)
    const acc = await runProgram('acc')
    expect(acc.resources.some((r) => r.type.includes('kyverno'))).toBe(false)
  })
})
