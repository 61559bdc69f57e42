import { CONTRACT, type Language } from './decisions.ts'
import type { PartialTranslatedString, TranslatedString } from './schemas/common.ts'

/**
 * Fills every language of a TranslatedString (§6.1): a missing language takes the first present one in the
 * fallback order. An entirely empty input gives three empty strings (the schema never allows null).
 */
export function fillTranslations(
  value: PartialTranslatedString | Partial<Record<Language, string>>,
): TranslatedString {
  const present = (lang: Language) => {
    const text = value[lang]
    return typeof text === 'string' && text.length > 0 ? text : undefined
  }
  const fallback = CONTRACT.translationFallback.map(present).find((text) => text !== undefined) ?? ''
  return {
    nl: present('nl') ?? fallback,
    fr: present('fr') ?? fallback,
    de: present('de') ?? fallback,
  }
}
