/**
 * Verifies a Sigstore bundle (what `actions/attest` and `gh attestation download` produce) carrying a DSSE
 * envelope over an in-toto statement: the leaf certificate chains to a CA of the trusted root, the envelope is
 * signed by the leaf's key, and the leaf's Fulcio extensions say which workflow, ref and commit signed it.
 *
 * Not checked here: the Rekor transparency-log entry. The workflow's `gh attestation verify` checks it; this
 * module decides what the pipeline trusts (identity, subject, predicate), which `gh` cannot express.
 */
import { ASN1Obj, dsse, crypto as sigstoreCrypto, X509Certificate } from '@sigstore/core'

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1'
export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'

/** Fulcio's certificate extensions (docs/oid-info.md in sigstore/fulcio), DER UTF8String values. */
export const FULCIO_OID = {
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
} as const

export interface SignerIdentity {
  /** The certificate's SAN URI: `https://github.com/o/r/.github/workflows/x.yml@refs/heads/main`. */
  san: string
  issuer: string
  buildSignerUri: string
  sourceRepositoryUri: string
  sourceRepositoryDigest: string
  sourceRepositoryRef: string
  runInvocationUri: string
}

export interface Statement {
  _type: string
  subject: { name: string; digest: Record<string, string> }[]
  predicateType: string
  predicate: unknown
}

export interface VerifiedBundle {
  statement: Statement
  signer: SignerIdentity
  /** The leaf's validity: Fulcio issues it when signing, for ten minutes. Bounds when the signature was made. */
  signedAfter: Date
  signedBefore: Date
}

export class BundleError extends Error {
  override name = 'BundleError'
}

interface RawBytes {
  rawBytes: string
}

/** The parts of a trusted root (`gh attestation trusted-root`) this verifier uses: the certificate authorities. */
export interface TrustedRoot {
  certificateAuthorities: {
    certChain: { certificates: RawBytes[] }
    validFor?: { start?: string; end?: string }
  }[]
}

interface CertificateAuthority {
  chain: X509Certificate[]
  start?: Date
  end?: Date
}

/** One trusted_root.json, or the JSON lines `gh attestation trusted-root` prints (one root per line). */
export function parseTrustedRoots(text: string): CertificateAuthority[] {
  const roots = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const parsed: TrustedRoot[] = roots.length > 1 ? roots.map((line) => JSON.parse(line)) : [JSON.parse(text)]
  return parsed.flatMap((root) =>
    (root.certificateAuthorities ?? []).map((ca) => ({
      chain: ca.certChain.certificates.map((cert) =>
        X509Certificate.parse(Buffer.from(cert.rawBytes, 'base64')),
      ),
      start: ca.validFor?.start ? new Date(ca.validFor.start) : undefined,
      end: ca.validFor?.end ? new Date(ca.validFor.end) : undefined,
    })),
  )
}

function utf8Extension(cert: X509Certificate, oid: string): string {
  const extension = cert.extension(oid)
  if (!extension) return ''
  return ASN1Obj.parseBuffer(extension.value as Buffer<ArrayBuffer>).value.toString('utf8')
}

export function signerIdentity(cert: X509Certificate): SignerIdentity {
  return {
    san: cert.extSubjectAltName?.uri ?? '',
    issuer: utf8Extension(cert, FULCIO_OID.issuer),
    buildSignerUri: utf8Extension(cert, FULCIO_OID.buildSignerUri),
    sourceRepositoryUri: utf8Extension(cert, FULCIO_OID.sourceRepositoryUri),
    sourceRepositoryDigest: utf8Extension(cert, FULCIO_OID.sourceRepositoryDigest),
    sourceRepositoryRef: utf8Extension(cert, FULCIO_OID.sourceRepositoryRef),
    runInvocationUri: utf8Extension(cert, FULCIO_OID.runInvocationUri),
  }
}

/** The leaf chains, certificate by certificate, to a CA of the trusted root that was valid when it was issued. */
function verifyChain(leaf: X509Certificate, authorities: CertificateAuthority[]): void {
  for (const authority of authorities) {
    const [issuer, ...rest] = authority.chain
    if (!issuer || !leaf.verify(issuer)) continue
    if (authority.start && leaf.notBefore < authority.start) continue
    if (authority.end && leaf.notBefore > authority.end) continue
    const path = [issuer, ...rest]
    const chainHolds = path.every((cert, index) => {
      const parent = path[index + 1] ?? cert
      return cert.isCA && cert.verify(parent) && cert.validForDate(leaf.notBefore)
    })
    if (chainHolds) return
  }
  throw new BundleError('the signing certificate does not chain to a trusted certificate authority')
}

function leafOf(bundle: Record<string, unknown>): X509Certificate {
  const material = bundle.verificationMaterial as
    | { certificate?: RawBytes; x509CertificateChain?: { certificates: RawBytes[] } }
    | undefined
  const raw = material?.certificate?.rawBytes ?? material?.x509CertificateChain?.certificates[0]?.rawBytes
  if (!raw) throw new BundleError('the bundle carries no signing certificate (unsigned or key-signed)')
  return X509Certificate.parse(Buffer.from(raw, 'base64'))
}

/** Verifies one bundle and returns its statement and signer; throws BundleError on anything that does not hold. */
export function verifyBundle(bundle: unknown, authorities: CertificateAuthority[]): VerifiedBundle {
  if (typeof bundle !== 'object' || bundle === null) throw new BundleError('not a Sigstore bundle')
  // `gh attestation download` may wrap each bundle as { bundle, … }.
  const wrapped = (bundle as { bundle?: unknown }).bundle
  const record = (typeof wrapped === 'object' && wrapped !== null ? wrapped : bundle) as Record<
    string,
    unknown
  >
  const envelope = record.dsseEnvelope as
    | { payload?: string; payloadType?: string; signatures?: { sig?: string }[] }
    | undefined
  if (!envelope?.payload || !envelope.signatures?.length)
    throw new BundleError('the bundle has no signed DSSE envelope')
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    throw new BundleError(`the envelope carries ${envelope.payloadType}, not an in-toto statement`)
  let leaf: X509Certificate
  try {
    leaf = leafOf(record)
  } catch (error) {
    if (error instanceof BundleError) throw error
    throw new BundleError('the signing certificate is not readable', { cause: error })
  }
  verifyChain(leaf, authorities)
  const payload = Buffer.from(envelope.payload, 'base64')
  const signed = dsse.preAuthEncoding(envelope.payloadType, payload)
  const key = sigstoreCrypto.createPublicKey(leaf.publicKey)
  const valid = envelope.signatures.some(
    (signature) =>
      signature.sig !== undefined && sigstoreCrypto.verify(signed, key, Buffer.from(signature.sig, 'base64')),
  )
  if (!valid) throw new BundleError('the envelope signature does not verify with the signing certificate')
  let statement: Statement
  try {
    statement = JSON.parse(payload.toString('utf8')) as Statement
  } catch (error) {
    throw new BundleError('the signed payload is not JSON', { cause: error })
  }
  if (statement._type !== IN_TOTO_STATEMENT_V1 || !Array.isArray(statement.subject))
    throw new BundleError('the signed payload is not an in-toto v1 statement')
  return {
    statement,
    signer: signerIdentity(leaf),
    signedAfter: leaf.notBefore,
    signedBefore: leaf.notAfter,
  }
}

/** Bundles as `gh attestation download` writes them (JSON lines), or one bundle per file. */
export function parseBundles(text: string): unknown[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  try {
    return [JSON.parse(trimmed)]
  } catch {
    return trimmed
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as unknown)
  }
}
