/**
 * A small evaluator of the Kyverno ClusterPolicy features the admission policy uses, to show offline what the
 * cluster's Kyverno decides: `match` on kind and namespace, `validate.pattern` (wildcards `*`/`?`, the `=()`
 * "if present" anchor, arrays whose every element must match), and `verifyImages` with keyless attestors and
 * JMESPath `conditions` (Equals / NotEquals) on the attestation's predicate. Signature checking itself is
 * Kyverno's; here an attestation is given as what Kyverno would have verified (its signer and predicate).
 */
import jmespath from 'jmespath'

export interface VerifiedAttestation {
  predicateType: string
  /** The Fulcio certificate's SAN and OIDC issuer, as Kyverno reads them after verifying the signature. */
  subject: string
  issuer: string
  predicate: unknown
}

export interface Pod {
  metadata: { name: string; namespace: string }
  spec: { containers: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] }
}

export interface Decision {
  allowed: boolean
  messages: string[]
}

type Json = unknown

export function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.')
  return new RegExp(`^${regex}$`).test(value)
}

/** Kyverno's pattern match for the subset used here; returns the path of the first mismatch. */
export function matchPattern(pattern: Json, value: Json, path = ''): string | undefined {
  if (typeof pattern === 'string')
    return typeof value === 'string' && wildcard(pattern, value)
      ? undefined
      : `${path}: ${String(value)} is not ${pattern}`
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return `${path}: not a list`
    for (const [index, item] of value.entries()) {
      const problem = matchPattern(pattern[0], item, `${path}[${index}]`)
      if (problem) return problem
    }
    return undefined
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof value !== 'object' || value === null) return `${path}: not an object`
    for (const [rawKey, sub] of Object.entries(pattern)) {
      const optional = /^=\((.+)\)$/.exec(rawKey)
      const key = optional?.[1] ?? rawKey
      const present = key in value
      if (!present) {
        if (optional) continue
        return `${path}.${key}: missing`
      }
      const problem = matchPattern(sub, (value as Record<string, Json>)[key], `${path}.${key}`)
      if (problem) return problem
    }
    return undefined
  }
  return pattern === value ? undefined : `${path}: ${String(value)} is not ${String(pattern)}`
}

interface Rule {
  name: string
  match: { any: { resources: { kinds: string[]; namespaces?: string[] } }[] }
  validate?: { message: string; pattern: Json }
  verifyImages?: {
    imageReferences: string[]
    required?: boolean
    attestations: {
      type: string
      attestors: { entries: { keyless: { subject: string; issuer: string } }[] }[]
      conditions?: { all: { key: string; operator: string; value: Json; message?: string }[] }[]
    }[]
  }[]
}

interface Policy {
  spec: { validationFailureAction: string; rules: Rule[] }
}

const matches = (rule: Rule, pod: Pod): boolean =>
  rule.match.any.some(
    ({ resources }) =>
      resources.kinds.includes('Pod') &&
      (!resources.namespaces || resources.namespaces.includes(pod.metadata.namespace)),
  )

function condition(
  predicate: Json,
  { key, operator, value }: { key: string; operator: string; value: Json },
) {
  const expression = /^\{\{\s*(.+?)\s*\}\}$/.exec(key)?.[1]
  if (!expression) throw new Error(`condition key ${key} is not a {{ JMESPath }} expression`)
  const actual = jmespath.search(predicate, expression)
  const equal = JSON.stringify(actual) === JSON.stringify(value)
  if (operator === 'Equals') return equal
  if (operator === 'NotEquals') return !equal
  throw new Error(`operator ${operator} is not supported here`)
}

export function evaluate(
  policy: Policy,
  pod: Pod,
  attestations: Record<string, VerifiedAttestation[]>,
): Decision {
  const messages: string[] = []
  const images = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.image)
  for (const rule of policy.spec.rules.filter((candidate) => matches(candidate, pod))) {
    if (rule.validate) {
      const problem = matchPattern(rule.validate.pattern, pod)
      if (problem) messages.push(`${rule.name}: ${rule.validate.message} (${problem})`)
    }
    for (const verify of rule.verifyImages ?? []) {
      for (const image of images.filter((candidate) =>
        verify.imageReferences.some((ref) => wildcard(ref, candidate)),
      )) {
        for (const required of verify.attestations) {
          const signed = (attestations[image] ?? []).filter(
            (attestation) =>
              attestation.predicateType === required.type &&
              required.attestors.some((attestor) =>
                attestor.entries.some(
                  ({ keyless }) =>
                    wildcard(keyless.subject, attestation.subject) && keyless.issuer === attestation.issuer,
                ),
              ),
          )
          if (signed.length === 0) {
            messages.push(
              `${rule.name}: ${image} has no ${required.type} attestation from the required signer`,
            )
            continue
          }
          const failed = (required.conditions ?? []).flatMap((group) =>
            group.all.filter((c) => !signed.some((a) => condition(a.predicate, c))),
          )
          for (const c of failed) messages.push(`${rule.name}: ${image}: ${c.message ?? c.key}`)
        }
      }
    }
  }
  const enforce = policy.spec.validationFailureAction === 'Enforce'
  return { allowed: messages.length === 0 || !enforce, messages }
}
