import type { Language } from './decisions.ts'
import { fillTranslations } from './translated.ts'

/**
 * Text search normalisation (brief §5.1): both the stored search text and the query go through this, so the
 * match is case- and accent-insensitive. NFD, combining marks stripped, lower case; spaces are kept as they are
 * (no collapsing, no trimming), because the search is a plain substring match.
 */
export function normaliseForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

/**
 * Separates the fields of a message's stored search text. It cannot occur in a query (queries are refused when
 * they hold control characters), so a match never spans two fields.
 */
export const SEARCH_FIELD_SEPARATOR = '\u001f'

/** Escapes LIKE metacharacters (`\`, `%`, `_`) so a query matches literally (with `ESCAPE '\'`). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

type Texts = { nl?: string; fr?: string; de?: string }

/** What of a message the text search looks at (§5.1): never the body, never document content. */
export interface SearchableMessage {
  subject: Texts
  businessDataList?: readonly { values: readonly Texts[] }[]
  forTheAttentionOf?: { ssin?: string; label: string }
}

/**
 * The normalised search text of a message, one per language, as stored in messages.search_{nl,fr,de} by every
 * write path (publication, demo seed). Each language searches what the reader sees in it: the TranslatedString
 * filled from another language when missing. Fields are joined with SEARCH_FIELD_SEPARATOR. Reference-data
 * names and descriptions are not copied in: they are matched through the reference tables.
 */
export function messageSearchText(message: SearchableMessage): Record<Language, string> {
  const texts: Texts[] = [message.subject, ...(message.businessDataList ?? []).flatMap((b) => b.values)]
  const attention = message.forTheAttentionOf
    ? [message.forTheAttentionOf.label, message.forTheAttentionOf.ssin ?? ''].filter(Boolean)
    : []
  return byLanguage(texts, attention)
}

/** Normalised search text of a reference-data item (names and descriptions), per language. */
export function referenceSearchText(texts: readonly (Texts | undefined)[]): Record<Language, string> {
  return byLanguage(
    texts.filter((t): t is Texts => t !== undefined),
    [],
  )
}

function byLanguage(texts: readonly Texts[], everyLanguage: readonly string[]): Record<Language, string> {
  const filled = texts.map((t) => fillTranslations(t))
  const line = (lang: Language) =>
    normaliseForSearch([...filled.map((t) => t[lang]), ...everyLanguage].join(SEARCH_FIELD_SEPARATOR))
  return { nl: line('nl'), fr: line('fr'), de: line('de') }
}
