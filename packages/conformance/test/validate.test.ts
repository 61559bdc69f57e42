import { Message } from '@ebox/contract'
import { describe, expect, it } from 'vitest'
import { cacheControlProblem } from '../src/checks/reference-data.ts'
import { middleSubstring, otherSpelling } from '../src/checks/search.ts'
import { brusselsDate } from '../src/data.ts'
import {
  enterpriseNumberProblems,
  findNulls,
  normaliseForSearch,
  translatedStringProblems,
} from '../src/validate.ts'

describe('cross-cutting rules', () => {
  it('finds every null with its pointer', () => {
    expect(findNulls({ a: [1, null, { b: null }], c: 'x' })).toEqual(['/a/1', '/a/2/b'])
    expect(findNulls(null)).toEqual(['/'])
  })

  it('finds TranslatedStrings through the schema and says what is missing', () => {
    const message = {
      subject: { nl: 'a', fr: 'b' },
      attachments: { items: [{ attachmentTitle: { nl: 'x', fr: '', de: 'z' } }], totalItems: 1 },
      businessDataList: { items: [{ key: 'k', values: [{ nl: 'v', fr: 'v', de: 'v' }] }], totalItems: 1 },
    }
    expect(translatedStringProblems(Message, message)).toEqual([
      { pointer: '/subject', message: 'de missing or empty', value: { nl: 'a', fr: 'b' } },
      {
        pointer: '/attachments/items/0/attachmentTitle',
        message: 'fr missing or empty',
        value: { nl: 'x', fr: '', de: 'z' },
      },
    ])
  })

  it('flags enterprise numbers that are not 10 digits starting with 0 or 1', () => {
    const value = {
      senderOrganizationId: '406798006',
      sender: { enterpriseNumber: '0406798006' },
      senderOrganizationIds: ['0206731645', '2206731645'],
    }
    expect(enterpriseNumberProblems(value).map((problem) => problem.pointer)).toEqual([
      '/senderOrganizationId',
      '/senderOrganizationIds/1',
    ])
  })

  it('judges Cache-Control of reference-data details', () => {
    expect(cacheControlProblem('public, no-transform, proxy-revalidate, max-age=172800')).toBeUndefined()
    expect(cacheControlProblem('public, s-maxage=86400')).toBeUndefined()
    expect(cacheControlProblem(null)).toMatch(/no Cache-Control/)
    expect(cacheControlProblem('public, max-age=3600')).toMatch(/below 86400/)
    expect(cacheControlProblem('private, max-age=172800')).toMatch(/forbids/)
    expect(cacheControlProblem('public')).toMatch(/no max-age/)
  })
})

describe('search terms derived from data', () => {
  it('takes a substring from the middle without edge spaces', () => {
    expect(middleSubstring('Rappel : épinards et François, ok ?')).toBe('épinards et F')
    expect(middleSubstring('abc')).toBeUndefined()
  })

  it('spells a term differently but equal under the §5.1 normalisation', () => {
    for (const term of ['épinards et F', 'Straße', 'İstanbul', 'Ærø']) {
      const other = otherSpelling(term)
      expect(normaliseForSearch(other)).toBe(normaliseForSearch(term))
    }
    expect(otherSpelling('épinards')).toBe('EpInArDs')
  })
})

describe('Brussels calendar days', () => {
  it('puts 23:30 UTC on the next day, winter and summer', () => {
    expect(brusselsDate('2026-01-10T23:30:00Z')).toBe('2026-01-11')
    expect(brusselsDate('2026-07-10T22:30:00Z')).toBe('2026-07-11')
    expect(brusselsDate('2026-07-10T21:30:00Z')).toBe('2026-07-10')
  })
})
