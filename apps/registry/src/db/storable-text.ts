import { RegistryError } from '@ebox/contract'

/**
 * What PostgreSQL can store as text and dates: the edge filter (plugins/app/input-filter.ts) applies it to every
 * query, path, header and JSON string; publication, whose JSON arrives inside multipart, applies it to its part.
 */

/** The longest query or path value any route accepts (a search term: 400; ids: 200) with room to spare. */
export const MAX_URL_VALUE_LENGTH = 1024

const NUL = '\u0000'
// A high surrogate not followed by a low one, or a low one not preceded by a high one. No u flag: the expression
// must see UTF-16 code units, which is what a lone surrogate is.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why a string cannot be stored as text, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  if (value.includes(NUL)) return 'contains a NUL character'
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate'
  return undefined
}

/**
 * Throws 400 for the first string in `value` (keys included, any depth) that PostgreSQL cannot store, or that is
 * longer than `maxLength` when given. `where` names the place in the message (e.g. "query parameter q").
 */
export function assertStorableText(value: unknown, where: string, maxLength?: number): void {
  const problem = firstProblem(value, where, maxLength, 0)
  if (problem) throw new RegistryError('INVALID_INPUT', `${problem}.`)
}

function firstProblem(
  value: unknown,
  where: string,
  maxLength: number | undefined,
  depth: number,
): string | undefined {
  if (typeof value === 'string') {
    const problem = unstorableText(value)
    if (problem) return `${where} ${problem}`
    if (maxLength !== undefined && value.length > maxLength)
      return `${where} is longer than ${maxLength} characters`
    return undefined
  }
  // JSON bodies are bounded by bodyLimit; the depth guard only keeps the walk off the stack limit.
  if (typeof value !== 'object' || value === null || depth > 64) return undefined
  for (const [key, item] of Object.entries(value)) {
    const keyProblem = unstorableText(key)
    if (keyProblem) return `${where} has a member name that ${keyProblem}`
    const problem: string | undefined = firstProblem(
      item,
      Array.isArray(value) ? where : `${where}.${key}`,
      maxLength,
      depth + 1,
    )
    if (problem) return problem
  }
  return undefined
}

const DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))?)?$/

/**
 * Whether PostgreSQL takes a date or date-time the schema's format accepted: the format checks only the shape
 * (`2024-02-30` and year 0000 pass it), PostgreSQL refuses both (22008).
 */
export function isStorableDate(value: string): boolean {
  const match = DATE.exec(value)
  if (!match) return true // not a date: the schema's own check answers for it
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)))
  const calendar = new Date(Date.UTC(year!, month! - 1, day!))
  calendar.setUTCFullYear(year!)
  const realDay =
    calendar.getUTCFullYear() === year &&
    calendar.getUTCMonth() === month! - 1 &&
    calendar.getUTCDate() === day
  return (
    year! >= 1 &&
    realDay &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    offsetHours! <= 15 &&
    offsetMinutes! <= 59
  )
}
