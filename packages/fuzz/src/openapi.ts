/** The operations of the service's OpenAPI 3 document, in the shape the generators and oracles need. */
export type JsonSchema = Record<string, unknown>

export interface Parameter {
  name: string
  in: 'query' | 'path' | 'header'
  required: boolean
  schema: JsonSchema
}

export interface Operation {
  /** `METHOD /path/{template}`: the key of counts, failures and regression cases. */
  key: string
  method: string
  path: string
  parameters: Parameter[]
  /** Request body media types and their schemas (empty when the document declares no body). */
  body: Record<string, JsonSchema>
  /** Per status: JSON schema of an application/json answer, if the document gives one. */
  responses: Record<string, JsonSchema | undefined>
  secured: boolean
}

interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
  security?: unknown[]
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>
  components?: { schemas?: Record<string, JsonSchema> }
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options'])

export function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = refResolver(document)
  const operations: Operation[] = []
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!METHODS.has(method)) continue
      const responses: Record<string, JsonSchema | undefined> = {}
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const schema = response.content?.['application/json']?.schema
        responses[status] = schema ? resolve(schema) : undefined
      }
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: (operation.parameters ?? []).flatMap((parameter) =>
          parameter.in === 'query' || parameter.in === 'path' || parameter.in === 'header'
            ? [
                {
                  name: parameter.name,
                  in: parameter.in,
                  required: parameter.required ?? parameter.in === 'path',
                  schema: resolve(parameter.schema ?? {}),
                },
              ]
            : [],
        ),
        body: Object.fromEntries(
          Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => [
            type,
            resolve(media.schema ?? {}),
          ]),
        ),
        responses,
        secured: (operation.security ?? []).length > 0,
      })
    }
  }
  return operations
}

/** Inlines `#/components/schemas/…` references (the document has no recursive schema; depth-guarded anyway). */
function refResolver(document: OpenApiDocument) {
  const schemas = document.components?.schemas ?? {}
  const resolve = (value: unknown, depth = 0): unknown => {
    if (depth > 32) throw new Error('OpenAPI document: schema references nest too deep')
    if (Array.isArray(value)) return value.map((item) => resolve(item, depth))
    if (value === null || typeof value !== 'object') return value
    const ref = (value as { $ref?: unknown }).$ref
    if (typeof ref === 'string') {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1]
      const target = name === undefined ? undefined : schemas[name]
      if (!target) throw new Error(`OpenAPI document: unresolved reference ${ref}`)
      return resolve(target, depth + 1)
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, depth)]))
  }
  return (schema: JsonSchema) => resolve(schema) as JsonSchema
}
