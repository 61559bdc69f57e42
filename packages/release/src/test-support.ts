/** Builders for tests: digests, evidence, ledger entries and policies that pass unless a test says otherwise. */
import type { DigestAttestations } from './attestations.ts'
import type { AccEvidence, FreezeCalendar, LedgerEntry, Policy } from './schemas.ts'

export const REPOSITORY = 'ghcr.io/acme/ebox-registry'

export const digestOf = (char: string): string => `sha256:${char.repeat(64)}`
export const commitOf = (char: string): string => char.repeat(40)

export const POLICY: Policy = {
  minimumSoakMinutes: 120,
  maxPlanAgeMinutes: 240,
  requiredProfiles: ['prod', 'certification'],
  loadCheck: {
    paths: ['/health/ready'],
    durationSeconds: 1,
    connections: 2,
    maxErrorRate: 0.01,
    maxP95Ms: 500,
  },
}

export const NO_FREEZE: FreezeCalendar = { timeZone: 'Europe/Brussels', windows: [], weekly: [] }

export function evidenceFor(digest: string, overrides: Partial<AccEvidence> = {}): AccEvidence {
  return {
    schema: 'ebox.acc-evidence/v2',
    digest,
    image: `${REPOSITORY}@${digest}`,
    commit: commitOf('c'),
    deployedAt: '2026-06-10T07:30:00.000Z',
    verifiedAt: '2026-06-10T08:00:00.000Z',
    schemaVersion: '0006_performance',
    runUrl: 'https://github.com/acme/ebox/actions/runs/1',
    changesets: [],
    conformance: [
      {
        profile: 'prod',
        passed: true,
        report: 'evidence/x/conformance-prod.json',
        reportSha256: 'a'.repeat(64),
      },
      {
        profile: 'certification',
        passed: true,
        report: 'evidence/x/conformance-certification.json',
        reportSha256: 'b'.repeat(64),
      },
    ],
    loadCheck: { passed: true, requests: 1200, errors: 0, p95Ms: 42, maxErrorRate: 0.01, maxP95Ms: 500 },
    ...overrides,
  }
}

export function entry(
  fields: Partial<LedgerEntry> & Pick<LedgerEntry, 'environment' | 'action' | 'digest'>,
): LedgerEntry {
  return {
    schema: 'ebox.ledger/v1',
    at: '2026-06-01T10:00:00.000Z',
    outcome: 'succeeded',
    commit: commitOf('1'),
    actor: 'alice',
    approvedBy: [],
    runUrl: 'https://github.com/acme/ebox/actions/runs/1',
    reasons: [],
    ...fields,
  }
}

/** What the verifier would have kept from genuine statements about a digest (for the pure decision tests). */
export function attestedFor(
  digest: string,
  evidence: unknown = evidenceFor(digest),
  overrides: Partial<DigestAttestations> = {},
): DigestAttestations {
  const predicate = evidence as AccEvidence
  return {
    verification: {
      predicate,
      signer: {
        san: 'https://github.com/acme/ebox/.github/workflows/deploy-acc.yml@refs/heads/main',
        issuer: 'https://token.actions.githubusercontent.com',
        buildSignerUri: 'https://github.com/acme/ebox/.github/workflows/deploy-acc.yml@refs/heads/main',
        sourceRepositoryUri: 'https://github.com/acme/ebox',
        sourceRepositoryDigest: predicate.commit,
        sourceRepositoryRef: 'refs/heads/main',
        runInvocationUri: 'https://github.com/acme/ebox/actions/runs/1/attempts/1',
      },
      signedAfter: new Date(predicate.verifiedAt),
      signedBefore: new Date(Date.parse(predicate.verifiedAt) + 600_000),
    },
    provenanceCommit: predicate.commit,
    deploys: [],
    rejections: [],
    distrusted: [],
    ...overrides,
  }
}

export const NOTHING_TRUSTED: DigestAttestations = { deploys: [], rejections: [], distrusted: [] }
