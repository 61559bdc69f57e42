import { describe, expect, it } from 'vitest'
import { evaluatePromotion, evaluateRollback, type PromotionInput, resolveDigest } from './promotion.ts'
import {
  attestedFor,
  commitOf,
  digestOf,
  entry,
  evidenceFor,
  NO_FREEZE,
  NOTHING_TRUSTED,
  POLICY,
  REPOSITORY,
} from './test-support.ts'

const A = digestOf('a')
const B = digestOf('b')
const C = digestOf('c')
const D = digestOf('d')
// In ACC from 07:30Z (verified 08:00Z); the policy asks for 120 minutes of soak.
const AFTER_SOAK = new Date('2026-06-10T09:30:00Z')

function input(overrides: Partial<PromotionInput> = {}): PromotionInput {
  return {
    digest: C,
    repository: REPOSITORY,
    attested: attestedFor(C),
    onMain: true,
    history: { [A]: attestedFor(A), [B]: attestedFor(B) },
    ledger: [
      entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('a') }),
      entry({ environment: 'prd', action: 'promote', digest: B, commit: commitOf('b') }),
    ],
    verification: { signature: 'success', provenance: 'success' },
    calendar: NO_FREEZE,
    policy: POLICY,
    now: AFTER_SOAK,
    ...overrides,
  }
}

const codes = (overrides: Partial<PromotionInput>): string[] =>
  evaluatePromotion(input(overrides)).refusals.map((refusal) => refusal.code)

describe('promotability', () => {
  it('allows a verified, signed, soaked, unfrozen, unrejected digest, with the image and commit of its evidence', () => {
    const verdict = evaluatePromotion(input())
    expect(verdict.promotable).toBe(true)
    expect(verdict.refusals).toEqual([])
    expect(verdict.candidate).toEqual({ digest: C, image: `${REPOSITORY}@${C}`, commit: commitOf('c') })
    expect(verdict.current?.digest).toBe(B)
    expect(verdict.rollbackTo).toMatchObject({ digest: B, commit: commitOf('b') })
  })

  it('refuses a digest without ACC evidence', () => {
    expect(codes({ attested: NOTHING_TRUSTED })).toEqual(['NO_EVIDENCE'])
  })

  it('refuses evidence that names another digest or another repository', () => {
    const other = evaluatePromotion(input({ attested: attestedFor(C, evidenceFor(B)) }))
    expect(other.refusals.map((r) => r.code)).toEqual(['INVALID_EVIDENCE'])
    expect(other.refusals[0]?.message).toContain(`names ${B}, not ${C}`)
    expect(other.candidate).toBeUndefined()
    const elsewhere = evidenceFor(C, { image: `ghcr.io/evil/registry@${C}` })
    expect(codes({ attested: attestedFor(C, elsewhere) })).toEqual(['INVALID_EVIDENCE'])
  })

  it('refuses evidence with a failed or missing conformance profile, or a failed load check', () => {
    const base = evidenceFor(C)
    const failed = {
      ...base,
      conformance: base.conformance.map((r) => ({ ...r, passed: r.profile !== 'prod' })),
    }
    expect(evaluatePromotion(input({ attested: attestedFor(C, failed) })).refusals[0]?.message).toMatch(
      /prod conformance profile failed/,
    )
    const missing = { ...base, conformance: base.conformance.filter((r) => r.profile === 'prod') }
    expect(evaluatePromotion(input({ attested: attestedFor(C, missing) })).refusals[0]?.message).toMatch(
      /no certification conformance/,
    )
    const slow = { ...base, loadCheck: { ...base.loadCheck, passed: false } }
    expect(codes({ attested: attestedFor(C, slow) })).toEqual(['INVALID_EVIDENCE'])
  })

  it('refuses evidence that does not match the schema', () => {
    expect(codes({ attested: attestedFor(C, { ...evidenceFor(C), extra: true }) })).toEqual([
      'INVALID_EVIDENCE',
    ])
  })

  it('refuses when the signature or the provenance did not verify', () => {
    const verdict = evaluatePromotion(
      input({ verification: { signature: 'failure', provenance: 'success' } }),
    )
    expect(verdict.promotable).toBe(false)
    expect(verdict.refusals).toEqual([
      { code: 'VERIFICATION_FAILED', message: 'the image signature did not verify (cosign verify: failure)' },
    ])
    expect(codes({ verification: { signature: 'success', provenance: 'skipped' } })).toEqual([
      'VERIFICATION_FAILED',
    ])
  })

  it('refuses a digest that has not soaked long enough, and says when it will have', () => {
    const verdict = evaluatePromotion(input({ now: new Date('2026-06-10T09:25:00Z') }))
    expect(verdict.refusals).toEqual([
      {
        code: 'SOAK_INCOMPLETE',
        message: 'soaked 115 of 120 minutes in ACC; promotable from 2026-06-10 11:30 (+02:00)',
        clearsAt: '2026-06-10T09:30:00.000Z',
      },
    ])
    expect(evaluatePromotion(input({ now: new Date('2026-06-10T09:29:59Z') })).promotable).toBe(false)
    expect(evaluatePromotion(input({ now: new Date('2026-06-10T09:30:00Z') })).promotable).toBe(true)
  })

  it('counts only continuous time in ACC: a digest ACC moved away from stops soaking, and says so', () => {
    const departed = {
      digest: C,
      commit: commitOf('c'),
      event: 'departed' as const,
      at: '2026-06-10T07:35:00.000Z',
      counterpart: D,
      runUrl: 'https://github.com/acme/ebox/actions/runs/2',
    }
    const attested = attestedFor(C, evidenceFor(C), {
      deploys: [{ ...attestedFor(C).verification!, predicate: departed }] as never,
    })
    const verdict = evaluatePromotion(input({ attested, now: new Date('2026-06-10T12:00:00Z') }))
    expect(verdict.acc).toEqual({
      since: '2026-06-10T07:30:00.000Z',
      until: '2026-06-10T07:35:00.000Z',
      movedOnTo: D,
    })
    expect(verdict.refusals).toEqual([
      {
        code: 'SOAK_INCOMPLETE',
        message: `ran 5 of 120 minutes in ACC: ACC moved on to ${D} at 2026-06-10 09:35 (+02:00); deploy it to ACC again to soak`,
      },
    ])
    expect(evaluatePromotion(input({ attested, allowWaiting: true })).promotable).toBe(false)
    const back = { ...departed, event: 'arrived' as const, at: '2026-06-10T08:00:00.000Z' }
    const returned = attestedFor(C, evidenceFor(C), {
      deploys: [departed, back].map((predicate) => ({ ...attestedFor(C).verification!, predicate })) as never,
    })
    expect(
      evaluatePromotion(input({ attested: returned, now: new Date('2026-06-10T10:00:00Z') })).acc,
    ).toEqual({
      since: '2026-06-10T08:00:00.000Z',
    })
    expect(codes({ attested: returned, now: new Date('2026-06-10T09:59:00Z') })).toEqual(['SOAK_INCOMPLETE'])
  })

  it("refuses a verification whose commit is not the build provenance's, or not on main", () => {
    const built = attestedFor(C, evidenceFor(C), { provenanceCommit: commitOf('e') })
    expect(evaluatePromotion(input({ attested: built })).refusals[0]?.message).toContain(
      `ACC verified commit ${commitOf('c')}, but the image was built from ${commitOf('e')}`,
    )
    const unbuilt = attestedFor(C, evidenceFor(C), { provenanceCommit: undefined })
    expect(evaluatePromotion(input({ attested: unbuilt })).refusals[0]?.message).toContain(
      'no build provenance',
    )
    expect(evaluatePromotion(input({ onMain: false })).refusals[0]?.message).toContain(
      `commit ${commitOf('c')} is not on main`,
    )
  })

  it('rolls back automatically only to the last PRD release with the same schema version, else says why', () => {
    const older = evidenceFor(B, { schemaVersion: '0005_federation' })
    const history = { [A]: attestedFor(A), [B]: attestedFor(B, older) }
    const verdict = evaluatePromotion(input({ history }))
    expect(verdict.rollbackTo).toMatchObject({ digest: A })
    const none = evaluatePromotion(input({ history: { [B]: attestedFor(B, older) } }))
    expect(none.rollbackTo).toBeUndefined()
    expect(none.noRollback).toBe(
      `no earlier PRD release needs schema 0006_performance: ${B} (schema 0005_federation), ${A} (no trusted ACC verification)`,
    )
    expect(none.promotable).toBe(true)
  })

  it('refuses during a freeze, naming the window and the thaw in Brussels time', () => {
    const calendar = {
      ...NO_FREEZE,
      windows: [
        { name: 'Audit', start: '2026-06-10T11:00', end: '2026-06-11T09:00', reason: 'external audit' },
      ],
    }
    const verdict = evaluatePromotion(input({ calendar }))
    expect(verdict.refusals).toEqual([
      {
        code: 'FROZEN',
        message: 'PRD is frozen (Audit: external audit) until 2026-06-11 09:00 (+02:00)',
        clearsAt: '2026-06-11T07:00:00.000Z',
      },
    ])
  })

  it('refuses a rejected digest, with who rejected it and why', () => {
    const ledger = [
      ...input().ledger,
      entry({
        environment: 'prd',
        action: 'reject',
        digest: C,
        actor: 'rm-bob',
        reasons: ['breaks exports'],
      }),
    ]
    expect(evaluatePromotion(input({ ledger })).refusals).toEqual([
      { code: 'REJECTED', message: 'rejected by rm-bob at 2026-06-01T10:00:00.000Z: breaks exports' },
    ])
  })

  it('lists every reason at once', () => {
    const ledger = [entry({ environment: 'prd', action: 'reject', digest: C })]
    const calendar = {
      ...NO_FREEZE,
      windows: [{ name: 'x', start: '2026-06-01T00:00', end: '2026-07-01T00:00', reason: 'r' }],
    }
    expect(
      codes({
        ledger,
        calendar,
        now: new Date('2026-06-10T08:30:00Z'),
        verification: { signature: 'failure', provenance: 'failure' },
      }),
    ).toEqual(['VERIFICATION_FAILED', 'VERIFICATION_FAILED', 'SOAK_INCOMPLETE', 'FROZEN', 'REJECTED'])
  })

  it('lets a proposal wait for soak and freeze, but never for anything else', () => {
    const calendar = {
      ...NO_FREEZE,
      windows: [{ name: 'x', start: '2026-06-01T00:00', end: '2026-07-01T00:00', reason: 'r' }],
    }
    const waiting = evaluatePromotion(
      input({ calendar, now: new Date('2026-06-10T08:30:00Z'), allowWaiting: true }),
    )
    expect(waiting.promotable).toBe(true)
    expect(waiting.refusals.map((r) => r.code)).toEqual(['SOAK_INCOMPLETE', 'FROZEN'])
    expect(evaluatePromotion(input({ attested: NOTHING_TRUSTED, allowWaiting: true })).promotable).toBe(false)
    expect(
      evaluatePromotion(
        input({ verification: { signature: 'failure', provenance: 'success' }, allowWaiting: true }),
      ).promotable,
    ).toBe(false)
  })

  it('refuses something that is not a digest outright', () => {
    expect(() => evaluatePromotion(input({ digest: 'latest' }))).toThrow(/not an image digest/)
  })
})

describe('a rollback requested by a release manager', () => {
  const ledger = input().ledger

  it('goes to a digest PRD ran before, with its verified commit, whatever the freeze or soak', () => {
    const attested = attestedFor(A, evidenceFor(A, { commit: commitOf('a') }))
    const verdict = evaluateRollback({ ...input(), attested, digest: A, ledger })
    expect(verdict.promotable).toBe(true)
    expect(verdict.candidate).toEqual({ digest: A, image: `${REPOSITORY}@${A}`, commit: commitOf('a') })
  })

  it('refuses a digest PRD never ran, a rejected one, or an unverifiable one', () => {
    expect(
      evaluateRollback({ ...input(), attested: attestedFor(C), digest: C, ledger }).refusals.map(
        (r) => r.code,
      ),
    ).toEqual(['NEVER_IN_PRD'])
    const rejected = [...ledger, entry({ environment: 'prd', action: 'reject', digest: A })]
    expect(
      evaluateRollback({ ...input(), attested: attestedFor(A), digest: A, ledger: rejected }).refusals.map(
        (r) => r.code,
      ),
    ).toEqual(['REJECTED'])
    const unsigned = { signature: 'failure', provenance: 'success' }
    expect(
      evaluateRollback({ ...input(), attested: attestedFor(A), digest: A, ledger, verification: unsigned })
        .promotable,
    ).toBe(false)
    expect(
      evaluateRollback({ ...input(), attested: NOTHING_TRUSTED, digest: A, ledger }).refusals.map(
        (r) => r.code,
      ),
    ).toEqual(['NO_EVIDENCE'])
  })

  it('refuses a digest that needs another database schema than the one PRD runs', () => {
    const older = attestedFor(A, evidenceFor(A, { schemaVersion: '0005_federation' }))
    const verdict = evaluateRollback({ ...input(), attested: older, digest: A, ledger })
    expect(verdict.refusals).toEqual([
      {
        code: 'SCHEMA_INCOMPATIBLE',
        message: `${A} needs schema 0005_federation, PRD runs 0006_performance: no rollback across migrations`,
      },
    ])
  })
})

describe('which digest a run is about', () => {
  const ledger = [
    entry({ environment: 'acc', action: 'deploy', digest: A, commit: commitOf('a') }),
    entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('a') }),
    entry({ environment: 'acc', action: 'deploy', digest: B, commit: commitOf('b') }),
    entry({ environment: 'prd', action: 'promote', digest: B, commit: commitOf('b') }),
  ]

  it('is the one given', () => {
    expect(resolveDigest({ decision: 'promote', digest: C }, ledger)).toBe(C)
    expect(() => resolveDigest({ decision: 'promote', digest: 'sha256:abc' }, ledger)).toThrow(
      /not an image digest/,
    )
  })

  it('after ACC, is the digest ACC verified for the commit', () => {
    expect(resolveDigest({ decision: 'promote', commit: commitOf('b') }, ledger)).toBe(B)
    expect(() => resolveDigest({ decision: 'promote', commit: commitOf('9') }, ledger)).toThrow(
      /never verified/,
    )
  })

  it('for a rollback without a digest, is the previous good PRD digest', () => {
    expect(resolveDigest({ decision: 'rollback' }, ledger)).toBe(A)
    expect(() => resolveDigest({ decision: 'rollback' }, ledger.slice(0, 2))).toThrow(
      /no earlier good digest/,
    )
  })
})
