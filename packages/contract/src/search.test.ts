import { describe, expect, it } from 'vitest'
import { escapeLike, messageSearchText, normaliseForSearch, SEARCH_FIELD_SEPARATOR } from './search.ts'

describe('normaliseForSearch', () => {
  it('strips accents and lowers case, keeping spaces as they are', () => {
    expect(normaliseForSearch('Épinards  et François, OK?')).toBe('epinards  et francois, ok?')
    expect(normaliseForSearch('Straße Ärger')).toBe('straße arger')
  })
  it('treats composed and decomposed forms alike', () => {
    expect(normaliseForSearch('e\u0301')).toBe(normaliseForSearch('\u00e9'))
  })
})

describe('escapeLike', () => {
  it('escapes %, _ and backslash', () => {
    expect(escapeLike('10 %_a\\b')).toBe('10 \\%\\_a\\\\b')
  })
})

describe('messageSearchText', () => {
  it('joins subject, business data values and forTheAttentionOf per language, filled and normalised', () => {
    const text = messageSearchText({
      subject: { fr: 'Épinards', nl: 'Spinazie' },
      businessDataList: [{ values: [{ de: 'Akte' }] }],
      forTheAttentionOf: { ssin: '85073003328', label: 'Mme Dupont' },
    })
    expect(text.fr).toBe(['epinards', 'akte', 'mme dupont', '85073003328'].join(SEARCH_FIELD_SEPARATOR))
    expect(text.de).toBe(['epinards', 'akte', 'mme dupont', '85073003328'].join(SEARCH_FIELD_SEPARATOR))
    expect(text.nl.startsWith('spinazie')).toBe(true)
  })
})
