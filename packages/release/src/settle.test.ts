import { describe, expect, it } from 'vitest'
import { ACC_GATES, PRD_GATES, type SettleInput, settle } from './settle.ts'
import { commitOf, digestOf } from './test-support.ts'

const [A, B] = [digestOf('a'), digestOf('b')]
const ok = (ids: readonly string[]) => Object.fromEntries(ids.map((id) => [id, { outcome: 'success' }]))

function prd(steps: Record<string, string>, overrides: Partial<SettleInput> = {}): SettleInput {
  return {
    environment: 'prd',
    action: 'promote',
    digest: B,
    commit: commitOf('b'),
    gates: PRD_GATES,
    steps: {
      ...ok(PRD_GATES),
      ...Object.fromEntries(Object.entries(steps).map(([id, outcome]) => [id, { outcome }])),
    },
    rollbackTo: { digest: A, commit: commitOf('a'), at: '2026-06-01T10:00:00.000Z' },
    evidence: 'evidence/b/evidence.json',
    actor: 'alice',
    approvedBy: ['rm-bob'],
    runUrl: 'https://github.com/acme/ebox/actions/runs/7',
    at: '2026-06-10T12:00:00.000Z',
    ...overrides,
  }
}

describe('settling a deploy job', () => {
  it('records a promotion when every gate passed', () => {
    const result = settle(prd({}))
    expect(result.ok).toBe(true)
    expect(result.entries).toEqual([
      {
        schema: 'ebox.ledger/v1',
        at: '2026-06-10T12:00:00.000Z',
        environment: 'prd',
        action: 'promote',
        outcome: 'succeeded',
        digest: B,
        commit: commitOf('b'),
        actor: 'alice',
        approvedBy: ['rm-bob'],
        runUrl: 'https://github.com/acme/ebox/actions/runs/7',
        reasons: [],
        evidence: 'evidence/b/evidence.json',
      },
    ])
  })

  it('records a refusal with its reasons', () => {
    const result = settle(prd({ check: 'failure' }, { refusals: ['FROZEN: until Monday'] }))
    expect(result.ok).toBe(false)
    expect(result.message).toBe(`PRD refused ${B}: FROZEN: until Monday`)
    expect(result.entries.map((e) => [e.action, e.outcome, e.reasons])).toEqual([
      ['promote', 'refused', ['FROZEN: until Monday']],
    ])
  })

  it('leaves PRD unchanged when the job failed before deploying', () => {
    const result = settle(prd({ up: 'skipped', ready: 'skipped', conformance: 'skipped' }))
    expect(result.message).toMatch(/^PRD unchanged/)
    expect(result.entries.map((e) => e.outcome)).toEqual(['failed'])
  })

  it('records the failure and the automatic rollback when PRD fails its conformance check', () => {
    const result = settle(prd({ conformance: 'failure', rollback: 'success' }))
    expect(result.ok).toBe(false)
    expect(result.message).toBe(
      `PRD failed on ${B} (step "conformance" ended failure) and was rolled back to ${A}`,
    )
    expect(result.entries.map((e) => [e.action, e.outcome, e.digest, e.replaced])).toEqual([
      ['promote', 'failed', B, undefined],
      ['rollback', 'succeeded', A, B],
    ])
    expect(result.entries[1]?.commit).toBe(commitOf('a'))
  })

  it('says loudly when the rollback failed too, or when there was nothing to roll back to', () => {
    expect(settle(prd({ up: 'failure', rollback: 'failure' })).message).toMatch(
      /ROLLBACK to .* FAILED: check PRD by hand now/,
    )
    const first = settle(prd({ ready: 'failure' }, { rollbackTo: undefined }))
    expect(first.message).toMatch(/no earlier digest to roll back to/)
    expect(first.entries).toHaveLength(1)
  })

  it('does not roll back a failed manual rollback automatically', () => {
    const result = settle(prd({ up: 'failure' }, { action: 'rollback' }))
    expect(result.message).toMatch(/the rollback of PRD to .* FAILED/)
    expect(result.entries.map((e) => [e.action, e.outcome])).toEqual([['rollback', 'failed']])
  })

  it('treats a cancelled step as a failure', () => {
    const result = settle({
      ...prd({}),
      environment: 'acc',
      action: 'deploy',
      gates: ACC_GATES,
      steps: { ...ok(ACC_GATES), load: { outcome: 'cancelled' }, rollback: { outcome: 'success' } },
    })
    expect(result.ok).toBe(false)
    expect(result.message).toMatch(/^ACC failed .*"load" ended cancelled.* rolled back/)
  })
})
