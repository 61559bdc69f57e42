import { describe, expect, it } from 'vitest'
import {
  hasEnterpriseNumberShape,
  isValidEnterpriseNumber,
  isValidSsin,
  normaliseEnterpriseNumber,
} from './identifiers.ts'

describe('enterprise numbers (brief §4.1 vectors)', () => {
  const valid = [
    '0406798006',
    '0206731645',
    '0474028805',
    '0212148896',
    '0800002352',
    '0852093431',
    '0220916609',
    '0454079368',
    '0566988259',
  ]
  it.each(valid)('accepts %s', (n) => expect(isValidEnterpriseNumber(n)).toBe(true))

  it.each(['0123456789', '0852093432', '1000000000'])('rejects %s', (n) =>
    expect(isValidEnterpriseNumber(n)).toBe(false),
  )

  it('pads a 9-digit number from a token, then validates', () => {
    expect(normaliseEnterpriseNumber('406798006')).toBe('0406798006')
    expect(isValidEnterpriseNumber(normaliseEnterpriseNumber('406798006'))).toBe(true)
  })

  it('strips dots, spaces and a BE prefix', () => {
    expect(normaliseEnterpriseNumber('BE 0406.798.006')).toBe('0406798006')
    expect(normaliseEnterpriseNumber(' 0406 798 006 ')).toBe('0406798006')
  })

  it('leaves non-digit input unpadded so the shape check refuses it', () => {
    expect(normaliseEnterpriseNumber('12a')).toBe('12a')
    expect(hasEnterpriseNumberShape('12a')).toBe(false)
    expect(hasEnterpriseNumberShape(normaliseEnterpriseNumber('12345678901'))).toBe(false)
  })

  it('refuses a first digit other than 0 or 1', () => {
    expect(hasEnterpriseNumberShape('2406798006')).toBe(false)
  })
})

describe('SSIN (brief §4.2 vectors)', () => {
  it.each(['53480200724', '79072300048', '85073003328', '17073003384', '01490700185'])('accepts %s', (s) =>
    expect(isValidSsin(s)).toBe(true),
  )
  it.each(['84022711080', '71022722580', '01010122233', '12345678901', '7907230004', '7907230004a'])(
    'rejects %s',
    (s) => expect(isValidSsin(s)).toBe(false),
  )
})
