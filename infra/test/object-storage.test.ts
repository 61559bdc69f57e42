import { describe, expect, it } from 'vitest'
import { parseStackConfig } from '../src/config.ts'
import { buildManifests } from '../src/manifests.ts'
import { objectStorageProblems } from '../src/object-storage.ts'
import { loadStackFile } from '../src/stack-file.ts'

/** Issue 17: the bucket settings per stack, credentials by ServiceAccount annotation or Secret, egress to the store. */
describe('object storage of attachment content', () => {
  const acc = buildManifests(loadStackFile('acc'))
  const env = (name: string) => acc.config.data?.[name]

  it('gives the pods the bucket settings of the stack', () => {
    expect(env('CONTENT_STORE')).toBe('s3')
    expect(env('S3_BUCKET')).toBe('ebox-registry-acc-contents')
    expect(env('S3_REGION')).toBe('eu-west-1')
    expect(env('S3_SSE')).toBe('aws:kms')
    expect(buildManifests(loadStackFile('prd')).config.data?.CONTENT_STORE).toBe('postgres')
  })

  it('binds the role to the ServiceAccount (IRSA), with no key pair in the pods', () => {
    expect(acc.serviceAccount.metadata?.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/ebox-registry-acc-contents',
    })
    const names = acc.registry.spec!.template.spec!.containers[0]!.env!.map((variable) => variable.name)
    expect(names).not.toContain('AWS_SECRET_ACCESS_KEY')
  })

  it('takes a key pair from an existing Secret as the fallback, for the API and the worker only', () => {
    const settings = loadStackFile('acc')
    const { serviceAccountAnnotations: _, ...storage } = settings.objectStorage!
    const manifests = buildManifests({
      ...settings,
      objectStorage: {
        ...storage,
        credentialsSecretRef: { name: 'object-store', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
      },
    })
    const secretEnv = (
      env: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[],
    ) =>
      env
        .filter((variable) => variable.name.startsWith('AWS_'))
        .map((v) => [v.name, v.valueFrom?.secretKeyRef])
    for (const deployment of [manifests.registry, manifests.worker]) {
      expect(secretEnv(deployment.spec!.template.spec!.containers[0]!.env as never)).toEqual([
        ['AWS_ACCESS_KEY_ID', { name: 'object-store', key: 'id' }],
        ['AWS_SECRET_ACCESS_KEY', { name: 'object-store', key: 'secret' }],
      ])
    }
    expect(secretEnv(manifests.migration.spec!.template.spec!.containers[0]!.env as never)).toEqual([])
    expect(manifests.serviceAccount.metadata?.annotations).toBeUndefined()
  })

  it('opens egress to the object store for the API and the worker, on HTTPS, and nowhere else', () => {
    const policy = acc.networkPolicies.find((p) => p.metadata?.name === 'allow-egress-object-store')!
    expect(policy.spec?.podSelector.matchExpressions).toEqual([
      { key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] },
    ])
    expect(policy.spec?.egress).toEqual([
      { to: [{ ipBlock: { cidr: '203.0.113.64/28' } }], ports: [{ protocol: 'TCP', port: 443 }] },
    ])
  })

  it('needs exactly one way to get credentials, and a KMS key only with aws:kms', () => {
    const base = loadStackFile('acc').objectStorage!
    expect(objectStorageProblems(base)).toEqual([])
    expect(objectStorageProblems({ ...base, serviceAccountAnnotations: undefined })).toEqual([
      'objectStorage needs exactly one of serviceAccountAnnotations (IRSA / workload identity) and credentialsSecretRef',
    ])
    expect(objectStorageProblems({ ...base, sse: 'AES256', kmsKeyId: 'k' })).toEqual([
      'objectStorage.kmsKeyId needs sse: aws:kms',
    ])
  })

  it('refuses an invalid bucket name in a stack file', () => {
    const settings = loadStackFile('acc')
    expect(() =>
      parseStackConfig(
        'acc',
        { ...settings, objectStorage: { ...settings.objectStorage, bucket: 'Bad_Bucket' } },
        { databaseUrl: true, oauthClientKey: true },
      ),
    ).toThrow(/objectStorage\.bucket/)
  })
})
