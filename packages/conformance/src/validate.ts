import { FormatRegistry, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/**
 * Response validation: the contract's TypeBox schemas, and the cross-cutting rules the schemas cannot say on
 * their own (no null anywhere, every TranslatedString filled in nl+fr+de, 10-digit enterprise numbers).
 */

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
const DATE = /^\d{4}-\d{2}-\d{2}$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function registerFormats(): void {
  const formats: Record<string, (value: string) => boolean> = {
    'date-time': (value) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
    date: (value) => DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)),
    uuid: (value) => UUID.test(value),
    'uri-reference': (value) => value.length > 0 && !/\s/.test(value),
    uri: (value) => URL.canParse(value),
  }
  for (const [name, check] of Object.entries(formats)) {
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
  }
}
registerFormats()

export interface Problem {
  /** JSON pointer into the validated value. */
  pointer: string
  message: string
  value?: unknown
}

/** Schema problems of a value (at most `limit`), as JSON pointers. */
export function schemaProblems(schema: TSchema, value: unknown, limit = 5): Problem[] {
  const problems: Problem[] = []
  for (const error of Value.Errors(schema, value)) {
    problems.push({ pointer: error.path, message: error.message, value: error.value })
    if (problems.length >= limit) break
  }
  return problems
}

/** Every `null` in a JSON value (§6 "no nulls — omit a property instead", §7.7). */
export function findNulls(value: unknown, pointer = ''): string[] {
  if (value === null) return [pointer || '/']
  if (Array.isArray(value)) return value.flatMap((item, index) => findNulls(item, `${pointer}/${index}`))
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      findNulls(item, `${pointer}/${escapePointer(key)}`),
    )
  }
  return []
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

const LANGUAGES = ['nl', 'fr', 'de'] as const

/** What is wrong with a TranslatedString (§6.1, §7.2: all three languages filled), or undefined. */
export function translatedStringProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object'
  const record = value as Record<string, unknown>
  const missing = LANGUAGES.filter(
    (lang) => typeof record[lang] !== 'string' || (record[lang] as string).trim() === '',
  )
  return missing.length > 0 ? `${missing.join(', ')} missing or empty` : undefined
}

/**
 * Every TranslatedString of a value, found by walking the contract schema alongside it (the schema marks them
 * with `title: 'TranslatedString'`), with what is wrong with each.
 */
export function translatedStringProblems(schema: TSchema, value: unknown, pointer = ''): Problem[] {
  if (value === undefined) return []
  const node = schema as TSchema & {
    title?: string
    type?: string
    properties?: Record<string, TSchema>
    items?: TSchema
    anyOf?: TSchema[]
  }
  if (node.title === 'TranslatedString') {
    const message = translatedStringProblem(value)
    return message ? [{ pointer: pointer || '/', message, value }] : []
  }
  if (node.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>
    return Object.entries(node.properties).flatMap(([key, child]) =>
      key in record ? translatedStringProblems(child, record[key], `${pointer}/${escapePointer(key)}`) : [],
    )
  }
  if (node.items && Array.isArray(value)) {
    const items = node.items
    return value.flatMap((item, index) => translatedStringProblems(items, item, `${pointer}/${index}`))
  }
  return []
}

/** Property names that carry an enterprise number (§4.1, §6.2, §6.5), and arrays of them. */
const ENTERPRISE_NUMBER_KEYS = new Set(['enterpriseNumber', 'senderOrganizationId', 'organizationId'])
const ENTERPRISE_NUMBER_LIST_KEYS = new Set(['senderOrganizationIds'])
export const ENTERPRISE_NUMBER = /^[01]\d{9}$/

/** Every enterprise number in a value that is not 10 digits starting with 0 or 1 (§4.1, §7.5). */
export function enterpriseNumberProblems(value: unknown, pointer = ''): Problem[] {
  if (Array.isArray(value))
    return value.flatMap((item, index) => enterpriseNumberProblems(item, `${pointer}/${index}`))
  if (value === null || typeof value !== 'object') return []
  const problems: Problem[] = []
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const here = `${pointer}/${escapePointer(key)}`
    if (ENTERPRISE_NUMBER_KEYS.has(key) && item !== undefined) {
      if (typeof item !== 'string' || !ENTERPRISE_NUMBER.test(item))
        problems.push({ pointer: here, message: 'not a 10-digit enterprise number', value: item })
    } else if (ENTERPRISE_NUMBER_LIST_KEYS.has(key) && Array.isArray(item)) {
      item.forEach((number, index) => {
        if (typeof number !== 'string' || !ENTERPRISE_NUMBER.test(number))
          problems.push({
            pointer: `${here}/${index}`,
            message: 'not a 10-digit enterprise number',
            value: number,
          })
      })
    } else {
      problems.push(...enterpriseNumberProblems(item, here))
    }
  }
  return problems
}

/** Removes combining marks and lower-cases: the search normalisation of §5.1 (case and accent insensitive). */
export function normaliseForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}
