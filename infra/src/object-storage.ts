import { type Static, Type } from '@sinclair/typebox'
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy'
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar'

/**
 * Attachment content in an S3-compatible bucket (issue 17; docs/operations.md, "Attachment content"): the stack's
 * `objectStorage` key. Absent: content stays in PostgreSQL. The pods reach the bucket with the credentials of the
 * AWS default chain: a role bound to their ServiceAccount (IRSA / workload identity: `serviceAccountAnnotations`),
 * or, where the platform has none (Ceph RGW, MinIO), an access key pair in an existing Secret.
 */
export const ObjectStorage = Type.Object(
  {
    /** Where new content goes: `s3` once the bucket is ready; `registry content migrate` moves the existing. */
    contentStore: Type.Union([Type.Literal('postgres'), Type.Literal('s3')]),
    bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }),
    region: Type.String({ minLength: 1 }),
    /** Absent: AWS S3 of the region. Ceph RGW, MinIO: their HTTPS endpoint (and usually forcePathStyle). */
    endpoint: Type.Optional(Type.String({ pattern: '^https://\\S+$' })),
    prefix: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]*$" })),
    forcePathStyle: Type.Optional(Type.Boolean()),
    sse: Type.Optional(Type.Union([Type.Literal('AES256'), Type.Literal('aws:kms')])),
    kmsKeyId: Type.Optional(Type.String({ minLength: 1 })),
    /** Addresses the object store answers on (HTTPS): the only egress the pods get to it. */
    cidrs: Type.Array(Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' }), { minItems: 1 }),
    /** e.g. `eks.amazonaws.com/role-arn: arn:aws:iam::…:role/…` (IRSA). */
    serviceAccountAnnotations: Type.Optional(Type.Record(Type.String(), Type.String(), { minProperties: 1 })),
    /** The fallback: an existing Secret holding the access key pair. */
    credentialsSecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }),
          accessKeyIdKey: Type.String({ minLength: 1 }),
          secretAccessKeyKey: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
)
export type ObjectStorage = Static<typeof ObjectStorage>

/** Problems the schema cannot express: one way to get credentials, KMS key only with aws:kms. */
export function objectStorageProblems(storage: ObjectStorage | undefined): string[] {
  if (!storage) return []
  const problems: string[] = []
  const ways = [storage.serviceAccountAnnotations, storage.credentialsSecretRef].filter(Boolean).length
  if (ways !== 1) {
    problems.push(
      'objectStorage needs exactly one of serviceAccountAnnotations (IRSA / workload identity) and credentialsSecretRef',
    )
  }
  if (storage.kmsKeyId && storage.sse !== 'aws:kms')
    problems.push('objectStorage.kmsKeyId needs sse: aws:kms')
  return problems
}

/** The service's CONTENT_STORE and S3_* variables (README.md); none without `objectStorage`. */
export function objectStorageEnv(storage: ObjectStorage | undefined): Record<string, string> {
  if (!storage) return {}
  const env: Record<string, string | undefined> = {
    CONTENT_STORE: storage.contentStore,
    S3_BUCKET: storage.bucket,
    S3_REGION: storage.region,
    S3_ENDPOINT: storage.endpoint,
    S3_PREFIX: storage.prefix,
    S3_FORCE_PATH_STYLE: storage.forcePathStyle === undefined ? undefined : String(storage.forcePathStyle),
    S3_SSE: storage.sse,
    S3_SSE_KMS_KEY_ID: storage.kmsKeyId,
  }
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  )
}

/** The access key pair from its Secret (the fallback); nothing with IRSA, whose token the platform mounts. */
export function objectStorageSecretEnv(storage: ObjectStorage | undefined): IEnvVar[] {
  const ref = storage?.credentialsSecretRef
  if (!ref) return []
  return [
    { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: ref.name, key: ref.accessKeyIdKey } } },
    {
      name: 'AWS_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: ref.name, key: ref.secretAccessKeyKey } },
    },
  ]
}

/** The registry and the worker (reads, writes, sweeps) may reach the object store; the migration Job may not. */
export function objectStorageEgress(
  storage: ObjectStorage | undefined,
  meta: (name: string) => INetworkPolicy['metadata'],
  appName: string,
): INetworkPolicy[] {
  if (!storage) return []
  const port = Number(storage.endpoint ? new URL(storage.endpoint).port || 443 : 443)
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('allow-egress-object-store'),
      spec: {
        podSelector: {
          matchLabels: { 'app.kubernetes.io/name': appName },
          matchExpressions: [
            { key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] },
          ],
        },
        policyTypes: ['Egress'],
        egress: [
          {
            to: storage.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
            ports: [{ protocol: 'TCP', port }],
          },
        ],
      },
    },
  ]
}
