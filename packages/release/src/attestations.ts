/**
 * What the pipeline trusts about a digest: only statements signed (keyless, GitHub OIDC) by the workflow that
 * is allowed to make them, on main, about that digest. The ACC verification, the ACC deploy records (soak) and
 * the build provenance come from deploy-acc.yml; rejections from reject-digest.yml. Anything else, however it
 * is stored (the ledger branch, a file in a pull request), is readable history, never proof.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { AccEvidence, CommitSha, Digest, Instant } from './schemas.ts'
import {
  BundleError,
  GITHUB_OIDC_ISSUER,
  type parseTrustedRoots,
  type SignerIdentity,
  verifyBundle,
} from './sigstore-bundle.ts'

export const PREDICATE = {
  accVerification: 'https://ebox.dev/attestations/acc-verification/v1',
  accDeploy: 'https://ebox.dev/attestations/acc-deploy/v1',
  rejection: 'https://ebox.dev/attestations/prd-rejection/v1',
  provenance: 'https://slsa.dev/provenance/v1',
} as const

/** The only workflow (on refs/heads/main) whose signature counts, per kind of statement. */
export const SIGNER_WORKFLOW: Record<string, string> = {
  [PREDICATE.accVerification]: 'deploy-acc.yml',
  [PREDICATE.accDeploy]: 'deploy-acc.yml',
  [PREDICATE.provenance]: 'deploy-acc.yml',
  [PREDICATE.rejection]: 'reject-digest.yml',
}
export const SIGNER_REF = 'refs/heads/main'

/** ACC started running a digest (`arrived`) or stopped (`departed`, replaced by `counterpart`). */
export const AccDeployRecord = Type.Object(
  {
    digest: Digest,
    commit: CommitSha,
    event: Type.Union([Type.Literal('arrived'), Type.Literal('departed')]),
    at: Instant,
    counterpart: Type.Optional(Digest),
    runUrl: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
)
export type AccDeployRecord = Static<typeof AccDeployRecord>

export const RejectionRecord = Type.Object(
  {
    digest: Digest,
    reason: Type.String({ minLength: 1 }),
    actor: Type.String({ minLength: 1 }),
    at: Instant,
  },
  { additionalProperties: false },
)
export type RejectionRecord = Static<typeof RejectionRecord>

export interface Attested<T> {
  predicate: T
  signer: SignerIdentity
  signedAfter: Date
  signedBefore: Date
}

export interface DigestAttestations {
  /** The newest trusted ACC verification of the digest. */
  verification?: Attested<AccEvidence>
  /** The commit the trusted build provenance was made from (Fulcio's source-repository-digest). */
  provenanceCommit?: string
  deploys: Attested<AccDeployRecord>[]
  rejections: Attested<RejectionRecord>[]
  /** Why statements offered about the digest were not trusted: shown to the release manager. */
  distrusted: string[]
}

export interface Trust {
  authorities: ReturnType<typeof parseTrustedRoots>
  /** owner/name, and the server, as `$GITHUB_REPOSITORY` and `$GITHUB_SERVER_URL` give them. */
  repository: string
  serverUrl: string
}

export const workflowIdentity = (trust: Trust, workflow: string): string =>
  `${trust.serverUrl}/${trust.repository}/.github/workflows/${workflow}@${SIGNER_REF}`

function signerProblem(signer: SignerIdentity, trust: Trust, workflow: string): string | undefined {
  const expected = workflowIdentity(trust, workflow)
  if (signer.issuer !== GITHUB_OIDC_ISSUER)
    return `signed through ${signer.issuer || 'no issuer'}, not GitHub Actions`
  if (signer.san !== expected || signer.buildSignerUri !== expected)
    return `signed by ${signer.san || 'an unknown identity'}, not ${expected}`
  if (signer.sourceRepositoryRef !== SIGNER_REF)
    return `signed on ${signer.sourceRepositoryRef}, not ${SIGNER_REF}`
  if (signer.sourceRepositoryUri !== `${trust.serverUrl}/${trust.repository}`)
    return `signed in ${signer.sourceRepositoryUri}, not ${trust.serverUrl}/${trust.repository}`
  return undefined
}

/** The instant lies in the signing certificate's life: Fulcio issues it at signing time, so it cannot be back-dated. */
function withinSigning(at: string, attested: { signedAfter: Date; signedBefore: Date }): boolean {
  const time = Date.parse(at)
  return time >= attested.signedAfter.getTime() && time <= attested.signedBefore.getTime()
}

function checked<T extends TSchema>(schema: T, value: unknown): Static<T> | string {
  if (Value.Check(schema, value)) return value
  const first = [...Value.Errors(schema, value)][0]
  return `the predicate is not valid: ${first?.path || '/'}: ${first?.message}`
}

/** Verifies every bundle offered about `digest` and keeps what holds; each rejected one says why. */
export function readAttestations(bundles: unknown[], digest: string, trust: Trust): DigestAttestations {
  const facts: DigestAttestations = { deploys: [], rejections: [], distrusted: [] }
  bundles.forEach((bundle, index) => {
    const why = judge(bundle, digest, trust, facts)
    if (why) facts.distrusted.push(`statement ${index + 1}: ${why}`)
  })
  return facts
}

/** Adds what one bundle proves to `facts`, or returns why it proves nothing. */
function judge(bundle: unknown, digest: string, trust: Trust, facts: DigestAttestations): string | undefined {
  const hex = digest.replace(/^sha256:/, '')
  let verified: ReturnType<typeof verifyBundle>
  try {
    verified = verifyBundle(bundle, trust.authorities)
  } catch (error) {
    if (error instanceof BundleError) return error.message
    return `not a readable Sigstore bundle (${error instanceof Error ? error.message : error})`
  }
  const { statement, signer } = verified
  const workflow = SIGNER_WORKFLOW[statement.predicateType]
  if (!workflow) return undefined // another kind of statement (an SBOM, …): not ours to judge
  const kind = statement.predicateType.replace(/^.*\/attestations\//, '')
  if (!statement.subject.some((subject) => subject.digest.sha256 === hex))
    return `${kind} is about another image`
  const wrongSigner = signerProblem(signer, trust, workflow)
  if (wrongSigner) return `${kind} ${wrongSigner}`
  const envelope = { signer, signedAfter: verified.signedAfter, signedBefore: verified.signedBefore }

  if (statement.predicateType === PREDICATE.provenance) {
    facts.provenanceCommit = signer.sourceRepositoryDigest
    return undefined
  }
  if (statement.predicateType === PREDICATE.accVerification) {
    const predicate = checked(AccEvidence, statement.predicate)
    if (typeof predicate === 'string') return `${kind}: ${predicate}`
    if (predicate.digest !== digest) return `${kind} names ${predicate.digest}, not ${digest}`
    if (predicate.commit !== signer.sourceRepositoryDigest)
      return `${kind} names commit ${predicate.commit}, but was signed by a run of ${signer.sourceRepositoryDigest}`
    if (
      !withinSigning(predicate.verifiedAt, envelope) ||
      Date.parse(predicate.deployedAt) > Date.parse(predicate.verifiedAt)
    )
      return `${kind} says verified at ${predicate.verifiedAt}, but was signed between ${envelope.signedAfter.toISOString()} and ${envelope.signedBefore.toISOString()}: back-dated`
    if (!facts.verification || predicate.verifiedAt > facts.verification.predicate.verifiedAt)
      facts.verification = { predicate, ...envelope }
    return undefined
  }
  if (statement.predicateType === PREDICATE.accDeploy) {
    const predicate = checked(AccDeployRecord, statement.predicate)
    if (typeof predicate === 'string') return `${kind}: ${predicate}`
    if (predicate.digest !== digest || !withinSigning(predicate.at, envelope))
      return `${kind} of ${predicate.at} is not about this digest or is back-dated`
    facts.deploys.push({ predicate, ...envelope })
    return undefined
  }
  const predicate = checked(RejectionRecord, statement.predicate)
  if (typeof predicate === 'string') return `${kind}: ${predicate}`
  if (predicate.digest !== digest) return `${kind} names ${predicate.digest}, not ${digest}`
  facts.rejections.push({ predicate, ...envelope })
  return undefined
}

/** The digest's latest continuous stay in ACC, from the signed deploy records (and the verification's own). */
export interface AccStretch {
  since: string
  /** When ACC moved on to another digest (undefined: ACC still runs it), and to which. */
  until?: string
  movedOnTo?: string
}

export function accStretch(facts: DigestAttestations): AccStretch | undefined {
  const verification = facts.verification?.predicate
  const events = facts.deploys.map(({ predicate }) => predicate)
  if (verification)
    events.push({
      digest: verification.digest,
      commit: verification.commit,
      event: 'arrived',
      at: verification.deployedAt,
      runUrl: verification.runUrl,
    })
  const sorted = events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  const arrival = sorted.findLast((event) => event.event === 'arrived')
  if (!arrival) return undefined
  const departure = sorted.find(
    (event) => event.event === 'departed' && Date.parse(event.at) >= Date.parse(arrival.at),
  )
  return departure
    ? {
        since: arrival.at,
        until: departure.at,
        ...(departure.counterpart ? { movedOnTo: departure.counterpart } : {}),
      }
    : { since: arrival.at }
}
