/**
 * Named schemas as components: every schema in the document's paths that carries a `title` (the contract's
 * TypeBox types do: Message, StatusMessage, …) is moved once to `components.schemas[title]` and referenced
 * wherever it occurs. Without this, each of the 30-odd operations repeats the error body and the message
 * schemas inline, and client generators see anonymous types. A second, different schema under a title already
 * taken stays inline (never a wrong reference). Builds new objects: the route schemas are never changed.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const COMPONENT_NAME = /^[A-Za-z][A-Za-z0-9_.-]*$/
const SCHEMA_KEYWORDS = ['type', 'properties', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'items', 'pattern']

function isNamedSchema(node: JsonObject): node is JsonObject & { title: string } {
  return (
    typeof node.title === 'string' &&
    COMPONENT_NAME.test(node.title) &&
    SCHEMA_KEYWORDS.some((keyword) => keyword in node)
  )
}

export function hoistNamedSchemas<T extends object>(document: T): T {
  const root = document as unknown as JsonObject & { components?: JsonObject }
  const components = { ...(root.components ?? {}) }
  const schemas: JsonObject = { ...((components.schemas as JsonObject | undefined) ?? {}) }
  const serialized = new Map<string, string>()
  for (const [name, schema] of Object.entries(schemas)) serialized.set(name, JSON.stringify(schema))

  // Children first: a component holds references to the named schemas inside it, not copies.
  const visit = (node: Json): Json => {
    if (Array.isArray(node)) return node.map(visit)
    if (node === null || typeof node !== 'object') return node
    const copy: JsonObject = {}
    for (const [key, value] of Object.entries(node)) copy[key] = visit(value)
    if (!isNamedSchema(copy)) return copy
    const text = JSON.stringify(copy)
    const taken = serialized.get(copy.title)
    if (taken === undefined) {
      schemas[copy.title] = copy
      serialized.set(copy.title, text)
    } else if (taken !== text) {
      return copy
    }
    return { $ref: `#/components/schemas/${copy.title}` }
  }

  const paths = visit((root.paths as Json) ?? {})
  return { ...root, paths, components: { ...components, schemas } } as unknown as T
}

const GENERATED_DESCRIPTION = 'Default Response'

/**
 * Responses the route schemas did not describe get their status's reason phrase (RFC 9110), errors with the
 * StatusMessage they carry, instead of the generator's "Default Response". Runs on hoistNamedSchemas' copy.
 */
export function describeResponses<T extends object>(
  document: T,
  reasons: Record<string, string | undefined>,
): T {
  const paths = (
    document as { paths?: Record<string, Record<string, { responses?: Record<string, JsonObject> }>> }
  ).paths
  for (const item of Object.values(paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (response.description !== GENERATED_DESCRIPTION) continue
        const reason = reasons[status] ?? status
        response.description = Number(status) >= 400 ? `${reason}: a StatusMessage` : reason
      }
    }
  }
  return document
}
