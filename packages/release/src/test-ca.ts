/**
 * For tests: a local certificate authority that issues Fulcio-like leaf certificates (SAN URI of the workflow,
 * Fulcio's GitHub extensions) and signs in-toto statements into Sigstore bundles with them. Real ECDSA P-256
 * keys and real X.509 DER, written by a small DER encoder, so the verifier under test runs unchanged.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { dsse } from '@sigstore/core'
import {
  FULCIO_OID,
  GITHUB_OIDC_ISSUER,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V1,
} from './sigstore-bundle.ts'

const length = (n: number): Buffer =>
  n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff])
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), length(body.length), body])
}
const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items)
const set = (...items: Buffer[]): Buffer => tlv(0x31, ...items)
const octets = (content: Buffer): Buffer => tlv(0x04, content)
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'))
const boolean = (value: boolean): Buffer => tlv(0x01, Buffer.from([value ? 0xff : 0]))
const bitString = (unused: number, content: Buffer): Buffer => tlv(0x03, Buffer.from([unused]), content)
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content)

function integer(value: bigint): Buffer {
  let hex = value.toString(16)
  if (hex.length % 2) hex = `0${hex}`
  let bytes = Buffer.from(hex, 'hex')
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return tlv(0x02, bytes)
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [40 * first + second]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let value = arc >> 7; value > 0; value >>= 7) chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function time(date: Date): Buffer {
  const iso = date.toISOString()
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`
  return tlv(0x17, Buffer.from(text, 'ascii'))
}

const name = (commonName: string): Buffer => sequence(set(sequence(oid('2.5.4.3'), utf8(commonName))))
const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'))
const extension = (id: string, value: Buffer, critical = false): Buffer =>
  sequence(oid(id), ...(critical ? [boolean(true)] : []), octets(value))

let serial = 1n

interface Issued {
  der: Buffer
  key: KeyObject
}

function certificate(fields: {
  issuer: string
  subject: string
  publicKey: KeyObject
  signingKey: KeyObject
  notBefore: Date
  notAfter: Date
  extensions: Buffer[]
}): Buffer {
  const spki = fields.publicKey.export({ type: 'spki', format: 'der' })
  const tbs = sequence(
    explicit(0, integer(2n)),
    integer(serial++),
    ECDSA_SHA256,
    name(fields.issuer),
    sequence(time(fields.notBefore), time(fields.notAfter)),
    name(fields.subject),
    spki,
    explicit(3, sequence(...fields.extensions)),
  )
  const signature = sign('sha256', tbs, fields.signingKey)
  return sequence(tbs, ECDSA_SHA256, bitString(0, signature))
}

function ecKeys(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

export interface GitHubSigner {
  repository: string
  workflow: string
  ref: string
  commit: string
  runId?: string
  /** When Fulcio issued the certificate (and so when the bundle was signed); valid ten minutes. */
  at: Date
}

export const TEST_SERVER = 'https://github.com'

export class TestCa {
  readonly name: string
  private readonly keys = ecKeys()
  readonly rootDer: Buffer

  constructor(name = 'test fulcio root', validFrom = new Date('2020-01-01T00:00:00Z')) {
    this.name = name
    this.rootDer = certificate({
      issuer: name,
      subject: name,
      publicKey: this.keys.publicKey,
      signingKey: this.keys.privateKey,
      notBefore: validFrom,
      notAfter: new Date('2040-01-01T00:00:00Z'),
      extensions: [
        extension('2.5.29.19', sequence(boolean(true)), true),
        extension('2.5.29.15', bitString(1, Buffer.from([0x06])), true),
      ],
    })
  }

  /** The trusted root, in the JSON shape of Sigstore's trusted_root.json. */
  trustedRoot(): string {
    return JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      certificateAuthorities: [
        {
          subject: { commonName: this.name },
          uri: 'https://fulcio.test',
          certChain: { certificates: [{ rawBytes: this.rootDer.toString('base64') }] },
          validFor: { start: '2020-01-01T00:00:00Z' },
        },
      ],
    })
  }

  /** A Fulcio-like leaf for a GitHub Actions workflow run. */
  issue(signer: GitHubSigner): Issued {
    const leaf = ecKeys()
    const repoUrl = `${TEST_SERVER}/${signer.repository}`
    const workflowUri = `${repoUrl}/.github/workflows/${signer.workflow}@${signer.ref}`
    const runUri = `${repoUrl}/actions/runs/${signer.runId ?? '1'}/attempts/1`
    const der = certificate({
      issuer: this.name,
      subject: '',
      publicKey: leaf.publicKey,
      signingKey: this.keys.privateKey,
      notBefore: signer.at,
      notAfter: new Date(signer.at.getTime() + 10 * 60_000),
      extensions: [
        extension('2.5.29.15', bitString(7, Buffer.from([0x80])), true),
        extension('2.5.29.17', sequence(tlv(0x86, Buffer.from(workflowUri, 'ascii'))), true),
        extension(FULCIO_OID.issuer, utf8(GITHUB_OIDC_ISSUER)),
        extension(FULCIO_OID.buildSignerUri, utf8(workflowUri)),
        extension(FULCIO_OID.sourceRepositoryUri, utf8(repoUrl)),
        extension(FULCIO_OID.sourceRepositoryDigest, utf8(signer.commit)),
        extension(FULCIO_OID.sourceRepositoryRef, utf8(signer.ref)),
        extension(FULCIO_OID.runInvocationUri, utf8(runUri)),
      ],
    })
    return { der, key: leaf.privateKey }
  }

  /** Signs an in-toto statement about `digest` into a Sigstore bundle (v0.3 JSON), as actions/attest does. */
  attest(signer: GitHubSigner, digest: string, predicateType: string, predicate: unknown): object {
    const { der, key } = this.issue(signer)
    return signedBundle(der, key, {
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ name: 'ghcr.io/acme/ebox-registry', digest: { sha256: digest.replace(/^sha256:/, '') } }],
      predicateType,
      predicate,
    })
  }
}

export function signedBundle(certificateDer: Buffer, key: KeyObject, statement: object): object {
  const payload = Buffer.from(JSON.stringify(statement))
  const signature = sign('sha256', dsse.preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload), key)
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { certificate: { rawBytes: certificateDer.toString('base64') }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    },
  }
}

/** A bundle-shaped envelope with no certificate at all: what a hand-written "attestation" looks like. */
export function unsignedBundle(statement: object): object {
  const payload = Buffer.from(JSON.stringify(statement))
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [] },
  }
}
