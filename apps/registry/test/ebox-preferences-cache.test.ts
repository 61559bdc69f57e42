import type { EboxIdentity } from '@ebox/contract'
import { describe, expect, it } from 'vitest'
import {
  cachedRecipientDirectory,
  type RecipientDirectory,
  type RecipientStanding,
} from '../src/federation/ebox-preferences.ts'

/** The e-Box Preferences cache is bounded in time and in size, and never keeps a failure. */
function counting(answer: (recipient: EboxIdentity) => RecipientStanding) {
  const asked: string[] = []
  const source: RecipientDirectory = {
    async standingOf(recipient) {
      asked.push(recipient.id)
      return answer(recipient)
    },
  }
  return { source, asked }
}
const enterprise = (id: string): EboxIdentity => ({ eboxType: 'enterprise', id })

describe('cachedRecipientDirectory', () => {
  it('answers from memory until the TTL has passed', async () => {
    let now = 0
    const { source, asked } = counting(() => 'digital')
    const cache = cachedRecipientDirectory(source, { ttlSeconds: 60, maxEntries: 10, now: () => now })
    await cache.standingOf(enterprise('a'))
    now = 59_999
    await cache.standingOf(enterprise('a'))
    expect(asked).toEqual(['a'])
    now = 60_000
    await cache.standingOf(enterprise('a'))
    expect(asked).toEqual(['a', 'a'])
  })

  it('keeps at most maxEntries answers, dropping the oldest first', async () => {
    const { source, asked } = counting(() => 'notDigital')
    const cache = cachedRecipientDirectory(source, { ttlSeconds: 600, maxEntries: 2 })
    for (const id of ['a', 'b', 'c', 'c', 'b', 'a']) await cache.standingOf(enterprise(id))
    // a was dropped when c came in; b and c stayed.
    expect(asked).toEqual(['a', 'b', 'c', 'a'])
  })

  it('tells a citizen from an enterprise of the same number', async () => {
    const { source, asked } = counting((recipient) =>
      recipient.eboxType === 'citizen' ? 'digital' : 'notDigital',
    )
    const cache = cachedRecipientDirectory(source, { ttlSeconds: 600, maxEntries: 10 })
    expect(await cache.standingOf(enterprise('1'))).toBe('notDigital')
    expect(await cache.standingOf({ eboxType: 'citizen', id: '1' })).toBe('digital')
    expect(asked).toHaveLength(2)
  })

  it('does not keep failures, and caches nothing with a TTL of 0', async () => {
    let fail = true
    const { source, asked } = counting(() => {
      if (fail) throw new Error('down')
      return 'digital'
    })
    const cache = cachedRecipientDirectory(source, { ttlSeconds: 600, maxEntries: 10 })
    await expect(cache.standingOf(enterprise('a'))).rejects.toThrow('down')
    fail = false
    expect(await cache.standingOf(enterprise('a'))).toBe('digital')
    expect(asked).toEqual(['a', 'a'])

    const uncached = counting(() => 'digital')
    const none = cachedRecipientDirectory(uncached.source, { ttlSeconds: 0, maxEntries: 10 })
    await none.standingOf(enterprise('a'))
    await none.standingOf(enterprise('a'))
    expect(uncached.asked).toEqual(['a', 'a'])
  })
})
