import { describe, expect, it } from 'vitest'
import { requestedActionOf } from './actions.ts'

const data = (key: string, ...values: Record<string, string>[]) => ({ key, values })

describe('requestedActionOf', () => {
  it('reads FOR_ACTION and FOR_ACTION_DUE_DATE, in any language given', () => {
    expect(requestedActionOf([data('FOR_ACTION', { fr: 'true' })])).toEqual({ dueDate: undefined })
    expect(
      requestedActionOf([
        data('period', { fr: 'Janvier' }),
        data('FOR_ACTION', { nl: 'true', de: 'true' }),
        data('FOR_ACTION_DUE_DATE', { fr: '2027-02-28' }),
      ]),
    ).toEqual({ dueDate: '2027-02-28' })
  })

  it('no action without FOR_ACTION true', () => {
    expect(requestedActionOf([])).toBeUndefined()
    expect(requestedActionOf([data('FOR_ACTION', { fr: 'false' })])).toBeUndefined()
  })

  it.each([
    ['a value that is not a boolean', [data('FOR_ACTION', { fr: 'oui' })]],
    ['two values', [data('FOR_ACTION', { fr: 'true' }, { fr: 'true' })]],
    ['languages that disagree', [data('FOR_ACTION', { fr: 'true', nl: 'false' })]],
    ['the key twice', [data('FOR_ACTION', { fr: 'true' }), data('FOR_ACTION', { fr: 'true' })]],
    [
      'an impossible date',
      [data('FOR_ACTION', { fr: 'true' }), data('FOR_ACTION_DUE_DATE', { fr: '2027-02-30' })],
    ],
    [
      'a date in another format',
      [data('FOR_ACTION', { fr: 'true' }), data('FOR_ACTION_DUE_DATE', { fr: '28/02/2027' })],
    ],
    ['a due date without FOR_ACTION', [data('FOR_ACTION_DUE_DATE', { fr: '2027-02-28' })]],
  ])('refuses %s with INVALID_INPUT', (_case, businessData) => {
    expect(() => requestedActionOf(businessData)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})
