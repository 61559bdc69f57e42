import { CONTRACT, type Language } from './decisions.ts'
import type { PartialTranslatedString, TranslatedString } from './schemas/common.ts'

const present = (text: unknown): string | undefined =>
  typeof text === 'string' && text.length > 0 ? text : undefined

/**
 * Fills every language of a TranslatedString (§6.1): a missing language takes the first present one in the
 * fallback order. An entirely empty input gives three empty strings (the schema never allows null).
 */
export function fillTranslations(
  value: PartialTranslatedString | Partial<Record<Language, string>>,
): TranslatedString {
  const nl = present(value.nl)
  const fr = present(value.fr)
  const de = present(value.de)
  let fallback = ''
  if (nl === undefined || fr === undefined || de === undefined) {
    for (const lang of CONTRACT.translationFallback) {
      const text = present(value[lang])
      if (text !== undefined) {
        fallback = text
        break
      }
    }
  }
  return { nl: nl ?? fallback, fr: fr ?? fallback, de: de ?? fallback }
}
