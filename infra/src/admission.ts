/**
 * PRD admission: a Kyverno ClusterPolicy that admits a pod in the registry's namespace only when every image
 * is the registry's, pinned by digest, and carries the ACC verification attestation that deploy-acc.yml on
 * main signed (keyless, GitHub OIDC) with every gate passed. Whoever can create pods (a cluster admin's
 * `kubectl run`, an edited Deployment, a hand-run `pulumi up`) cannot start an image ACC did not verify.
 * The predicate type and signer are the ones `ebox-release check` trusts (packages/release/src/attestations.ts).
 */
import * as k8s from '@pulumi/kubernetes'
import type * as pulumi from '@pulumi/pulumi'

export const ACC_VERIFICATION_PREDICATE = 'https://ebox.dev/attestations/acc-verification/v1'
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'
export const REKOR_URL = 'https://rekor.sigstore.dev'

export interface AdmissionSettings {
  /** The namespace the registry runs in. */
  namespace: string
  /** The image repository, without tag or digest (`ghcr.io/ebox/registry`). */
  imageRepository: string
  /** The GitHub repository whose deploy-acc.yml signs (`owner/name`). */
  sourceRepository: string
  serverUrl?: string
}

export interface Condition {
  key: string
  operator: 'Equals' | 'NotEquals'
  value: unknown
  message: string
}

/** The Kyverno ClusterPolicy (kyverno.io/v1) as a plain object, for rendering and for tests. */
export function imageVerificationPolicy(settings: AdmissionSettings) {
  const server = settings.serverUrl ?? 'https://github.com'
  const signer = `${server}/${settings.sourceRepository}/.github/workflows/deploy-acc.yml@refs/heads/main`
  const pinned = `${settings.imageRepository}@sha256:*`
  const conditions: Condition[] = [
    {
      key: '{{ loadCheck.passed }}',
      operator: 'Equals',
      value: true,
      message: 'the ACC load check did not pass',
    },
    {
      key: '{{ length(conformance[?passed == `false`]) }}',
      operator: 'Equals',
      value: 0,
      message: 'a conformance profile failed in ACC',
    },
    {
      key: "{{ length(conformance[?profile == 'prod' || profile == 'certification']) }}",
      operator: 'Equals',
      value: 2,
      message: 'the prod and certification conformance profiles must both have run in ACC',
    },
  ]
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: {
      name: `${settings.namespace}-require-acc-verification`,
      annotations: {
        'policies.kyverno.io/title': 'Only images ACC verified run in PRD',
        'policies.kyverno.io/description':
          'Pods in the registry namespace run only the registry image, by digest, with an ACC verification attestation signed by deploy-acc.yml on main.',
      },
    },
    spec: {
      validationFailureAction: 'Enforce',
      background: false,
      webhookTimeoutSeconds: 30,
      failurePolicy: 'Fail',
      rules: [
        {
          name: 'only-the-registry-image-by-digest',
          match: { any: [{ resources: { kinds: ['Pod'], namespaces: [settings.namespace] } }] },
          validate: {
            message: `pods in ${settings.namespace} run only ${pinned}`,
            pattern: {
              spec: {
                containers: [{ image: pinned }],
                '=(initContainers)': [{ image: pinned }],
                '=(ephemeralContainers)': [{ image: pinned }],
              },
            },
          },
        },
        {
          name: 'require-acc-verification',
          match: { any: [{ resources: { kinds: ['Pod'], namespaces: [settings.namespace] } }] },
          verifyImages: [
            {
              // GitHub's `actions/attest` stores Sigstore bundles as OCI referrers of the image.
              type: 'SigstoreBundle',
              imageReferences: [`${settings.imageRepository}*`],
              failureAction: 'Enforce',
              mutateDigest: false,
              verifyDigest: true,
              required: true,
              attestations: [
                {
                  type: ACC_VERIFICATION_PREDICATE,
                  attestors: [
                    {
                      entries: [
                        {
                          keyless: { subject: signer, issuer: GITHUB_OIDC_ISSUER, rekor: { url: REKOR_URL } },
                        },
                      ],
                    },
                  ],
                  conditions: [{ all: conditions }],
                },
              ],
            },
          ],
        },
      ],
    },
  }
}

export type ImageVerificationPolicy = ReturnType<typeof imageVerificationPolicy>

/** Creates the policy in the stack; Kyverno itself is installed by the cluster's platform, not here. */
export function admissionPolicy(
  name: string,
  settings: AdmissionSettings,
  opts?: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
  const { apiVersion, kind, metadata, spec } = imageVerificationPolicy(settings)
  return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata, spec }, opts)
}
