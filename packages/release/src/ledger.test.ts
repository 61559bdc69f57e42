import { describe, expect, it } from 'vitest'
import { currentDeployment, formatLedgerLine, parseLedger, rejection, rollbackTarget } from './ledger.ts'
import { commitOf, digestOf, entry } from './test-support.ts'

const [A, B, C] = [digestOf('a'), digestOf('b'), digestOf('c')]

describe('the ledger file', () => {
  it('round-trips entries as JSON lines', () => {
    const entries = [
      entry({ environment: 'acc', action: 'deploy', digest: A }),
      entry({ environment: 'prd', action: 'promote', digest: A }),
    ]
    const text = entries.map(formatLedgerLine).join('')
    expect(text.split('\n')).toHaveLength(3)
    expect(parseLedger(text)).toEqual(entries)
  })

  it('names the line that is broken', () => {
    const good = formatLedgerLine(entry({ environment: 'acc', action: 'deploy', digest: A }))
    expect(() => parseLedger(`${good}{"schema":"ebox.ledger/v1"}\n`)).toThrow(/ledger line 2 is not valid/)
    expect(() => parseLedger(`${good}not json\n`)).toThrow(/ledger line 2/)
  })

  it('refuses to write an invalid entry', () => {
    expect(() =>
      formatLedgerLine({ ...entry({ environment: 'prd', action: 'promote', digest: A }), digest: 'latest' }),
    ).toThrow(/new ledger entry is not valid/)
  })
})

describe('reading the ledger', () => {
  const ledger = [
    entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('a') }),
    entry({ environment: 'prd', action: 'promote', digest: B, commit: commitOf('b') }),
    entry({ environment: 'prd', action: 'promote', digest: C, outcome: 'failed' }),
    entry({ environment: 'prd', action: 'rollback', digest: B, commit: commitOf('b'), replaced: C }),
    entry({ environment: 'prd', action: 'promote', digest: C, outcome: 'refused', commit: undefined }),
    entry({ environment: 'acc', action: 'deploy', digest: C }),
  ]

  it('knows what each environment runs: the last successful deploy, promotion or rollback', () => {
    expect(currentDeployment(ledger, 'prd')).toEqual({
      digest: B,
      commit: commitOf('b'),
      at: '2026-06-01T10:00:00.000Z',
    })
    expect(currentDeployment(ledger, 'acc')?.digest).toBe(C)
    expect(currentDeployment([], 'prd')).toBeUndefined()
  })

  it('rolls back to the last good digest other than the failing one', () => {
    expect(rollbackTarget(ledger, 'prd', C)?.digest).toBe(B)
    expect(rollbackTarget(ledger, 'prd', B)?.digest).toBe(A)
    expect(rollbackTarget(ledger.slice(0, 1), 'prd', A)).toBeUndefined()
  })

  it('never rolls back onto a rejected digest', () => {
    const rejected = [...ledger, entry({ environment: 'prd', action: 'reject', digest: B })]
    expect(rejection(rejected, B)?.action).toBe('reject')
    expect(rollbackTarget(rejected, 'prd', C)?.digest).toBe(A)
  })
})
