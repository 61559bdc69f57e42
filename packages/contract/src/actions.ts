import { RegistryError } from './errors.ts'

/**
 * The action a message asks for ("Message forAction", DC v3 draft). A sender says so with the standardized
 * business data of dev.eboxenterprise.be/docs/ds/business_data: `FOR_ACTION` (BOOLEAN: true, false) and
 * `FOR_ACTION_DUE_DATE` (DATE: YYYY-MM-DD). They stay in the message's business data as given; this module reads
 * them once, for every write path (publication and the demo seed).
 */
export const FOR_ACTION_KEY = 'FOR_ACTION'
export const FOR_ACTION_DUE_DATE_KEY = 'FOR_ACTION_DUE_DATE'

type GivenValue = Partial<Record<'nl' | 'fr' | 'de', string>>

export interface RequestedAction {
  /** YYYY-MM-DD, when the sender gave one. */
  dueDate: string | undefined
}

const invalid = (message: string) => new RegistryError('INVALID_INPUT', message)

/** The one text of a standardized key: one value, the same in every language given (they are not texts). */
function singleValue(key: string, values: readonly GivenValue[]): string {
  const texts = new Set(values.flatMap((value) => Object.values(value)).map((text) => text?.trim()))
  if (values.length !== 1 || texts.size !== 1) {
    throw invalid(`Business data ${key} takes one value, the same in every language given.`)
  }
  return [...texts][0] ?? ''
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text)
}

/**
 * The action requested by these business data, or undefined when the message asks for none. 400 for a malformed
 * value, a key given twice, or a due date without `FOR_ACTION` true.
 */
export function requestedActionOf(
  businessData: readonly { key: string; values: readonly GivenValue[] }[],
): RequestedAction | undefined {
  const textOf = (key: string): string | undefined => {
    const items = businessData.filter((item) => item.key === key)
    if (items.length > 1) throw invalid(`Business data ${key} is given twice.`)
    return items[0] ? singleValue(key, items[0].values) : undefined
  }
  const forAction = textOf(FOR_ACTION_KEY)
  const dueDate = textOf(FOR_ACTION_DUE_DATE_KEY)
  if (forAction !== undefined && forAction !== 'true' && forAction !== 'false') {
    throw invalid(`Business data ${FOR_ACTION_KEY} is true or false.`)
  }
  if (dueDate !== undefined && !isCalendarDate(dueDate)) {
    throw invalid(`Business data ${FOR_ACTION_DUE_DATE_KEY} is a date (YYYY-MM-DD).`)
  }
  if (forAction !== 'true') {
    if (dueDate !== undefined) {
      throw invalid(`Business data ${FOR_ACTION_DUE_DATE_KEY} needs ${FOR_ACTION_KEY} true.`)
    }
    return undefined
  }
  return { dueDate }
}
