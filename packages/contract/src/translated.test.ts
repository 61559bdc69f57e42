import { describe, expect, it } from 'vitest'
import { fillTranslations } from './translated.ts'

describe('fillTranslations', () => {
  it('keeps given languages and fills the missing from fr first', () => {
    expect(fillTranslations({ fr: 'Bonjour', de: 'Hallo' })).toEqual({
      nl: 'Bonjour',
      fr: 'Bonjour',
      de: 'Hallo',
    })
  })
  it('falls back to nl then de', () => {
    expect(fillTranslations({ de: 'Hallo' })).toEqual({ nl: 'Hallo', fr: 'Hallo', de: 'Hallo' })
    expect(fillTranslations({ nl: 'Hoi', de: 'Hallo' })).toEqual({ nl: 'Hoi', fr: 'Hoi', de: 'Hallo' })
  })
  it('treats empty strings as missing', () => {
    expect(fillTranslations({ nl: '', fr: 'Oui' })).toEqual({ nl: 'Oui', fr: 'Oui', de: 'Oui' })
  })
})
