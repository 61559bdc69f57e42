import { describe, expect, it } from 'vitest'
import type { LedgerEntry } from '../schemas.ts'
import { commitOf, digestOf, entry, evidenceFor, NO_FREEZE, POLICY, REPOSITORY } from '../test-support.ts'
import type { CommitFacts } from './commit-facts.ts'
import { type BoardInput, buildBoard, schemaCompatibility } from './model.ts'
import { accDeploysInLedger, attestationsOf, sampleSource } from './sources.ts'

const BASE = ['0001_a', '0002_b']
const facts: Record<string, CommitFacts> = {
  [commitOf('1')]: { subject: 'one', version: '1.0.0', migrations: BASE },
  [commitOf('2')]: { subject: 'two', version: '1.1.0', migrations: [...BASE, '0003_c'] },
  [commitOf('3')]: { subject: 'three', version: '1.2.0', migrations: [...BASE, '0003_c', '0004_d'] },
  [commitOf('4')]: { subject: 'four', version: '1.3.0', migrations: [...BASE, '0003_c', '0004_d'] },
}
const commitFacts = (commit: string): CommitFacts => facts[commit] ?? {}

const input = (ledger: LedgerEntry[], overrides: Partial<BoardInput> = {}): BoardInput => ({
  ledger,
  verificationOf: () => undefined,
  calendar: NO_FREEZE,
  policy: POLICY,
  repository: REPOSITORY,
  repositoryUrl: 'https://github.com/acme/ebox',
  commitFacts,
  now: new Date('2026-06-10T09:00:00Z'),
  limit: 10,
  ...overrides,
})

const A = digestOf('a')
const B = digestOf('b')
const C = digestOf('c')
const D = digestOf('d')

describe('what each environment runs', () => {
  it('names the digest, the entry that made it run, who approved it, and the rollback target', () => {
    const ledger = [
      entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('1') }),
      entry({
        environment: 'prd',
        action: 'promote',
        digest: B,
        commit: commitOf('2'),
        at: '2026-06-02T10:00:00.000Z',
        approvedBy: ['bob', 'carol'],
      }),
      entry({ environment: 'prd', action: 'promote', digest: C, commit: commitOf('3'), outcome: 'refused' }),
    ]
    const board = buildBoard(input(ledger))
    const prd = board.environments.prd
    expect(prd?.digest).toBe(B)
    expect(prd?.facts.version).toBe('1.1.0')
    expect(prd?.since.approvedBy).toEqual(['bob', 'carol'])
    expect(prd?.since.at).toBe('2026-06-02T10:00:00.000Z')
    expect(prd?.rollback?.digest).toBe(A)
    expect(prd?.rollback?.schema.status).toBe('compatible')
    expect(board.environments.acc).toBeUndefined()
  })
})

describe('schema compatibility of a rollback target', () => {
  const prd = (digest: string, commit: string, outcome: LedgerEntry['outcome'] = 'succeeded') =>
    entry({ environment: 'prd', action: 'promote', digest, commit: commitOf(commit), outcome })

  it('is the same schema when the database has nothing the target lacks', () => {
    const ledger = [prd(C, '3'), prd(D, '4')]
    expect(schemaCompatibility(ledger, 'prd', { commit: commitOf('3') }, commitFacts)).toMatchObject({
      status: 'same',
      extra: [],
    })
  })

  it('is compatible when the extra migrations came with the release right after the target', () => {
    const ledger = [prd(A, '1'), prd(B, '2')]
    expect(schemaCompatibility(ledger, 'prd', { commit: commitOf('1') }, commitFacts)).toMatchObject({
      status: 'compatible',
      extra: ['0003_c'],
    })
  })

  it('asks for a check when migrations came two releases after the target', () => {
    const ledger = [prd(A, '1'), prd(B, '2'), prd(C, '3')]
    const compatibility = schemaCompatibility(ledger, 'prd', { commit: commitOf('1') }, commitFacts)
    expect(compatibility.status).toBe('check')
    expect(compatibility.extra).toEqual(['0003_c', '0004_d'])
    expect(compatibility.detail).toContain('0004_d')
    expect(compatibility.detail).not.toContain('0003_c')
  })

  it('counts the migrations of a failed deployment (its migration job ran) but not of a refused one', () => {
    const failed = [prd(A, '1'), prd(B, '2', 'failed'), prd(A, '1')]
    expect(schemaCompatibility(failed, 'prd', { commit: commitOf('1') }, commitFacts)).toMatchObject({
      status: 'compatible',
      extra: ['0003_c'],
    })
    const refused = [prd(A, '1'), prd(B, '2', 'refused'), prd(A, '1')]
    expect(schemaCompatibility(refused, 'prd', { commit: commitOf('1') }, commitFacts).status).toBe('same')
  })

  it('is unknown when a commit is not in the clone', () => {
    const ledger = [prd(A, '1'), prd(B, '9')]
    const compatibility = schemaCompatibility(ledger, 'prd', { commit: commitOf('1') }, commitFacts)
    expect(compatibility.status).toBe('unknown')
    expect(compatibility.detail).toContain(commitOf('9'))
  })
})

describe('candidates for PRD', () => {
  const acc = (digest: string, commit: string, at: string) =>
    entry({ environment: 'acc', action: 'deploy', digest, commit: commitOf(commit), at })

  it('are the verified digests newer than PRD’s, not run in PRD and not rejected, newest first, each judged by the gate', () => {
    const ledger = [
      acc(A, '1', '2026-06-01T08:00:00.000Z'),
      entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('1') }),
      acc(B, '2', '2026-06-05T08:00:00.000Z'),
      entry({ environment: 'prd', action: 'reject', digest: B, commit: commitOf('2'), reasons: ['bad'] }),
      acc(C, '3', '2026-06-09T08:00:00.000Z'),
      acc(D, '4', '2026-06-10T08:30:00.000Z'),
    ]
    const evidence: Record<string, unknown> = {
      [C]: evidenceFor(C, {
        commit: commitOf('3'),
        deployedAt: '2026-06-09T07:40:00.000Z',
        verifiedAt: '2026-06-09T08:00:00.000Z',
      }),
      [D]: evidenceFor(D, {
        commit: commitOf('4'),
        deployedAt: '2026-06-10T08:10:00.000Z',
        verifiedAt: '2026-06-10T08:30:00.000Z',
      }),
    }
    const board = buildBoard(input(ledger, { verificationOf: (digest) => evidence[digest] }))
    expect(board.candidates.map((candidate) => candidate.digest)).toEqual([D, C])
    const [newest, older] = board.candidates
    expect(older?.promotable).toBe(true)
    expect(older?.refusals).toEqual([])
    // C stayed in ACC from its deployment until D replaced it: a continuous stay of a day.
    expect(older?.soak).toMatchObject({
      minutes: 120,
      required: 120,
      since: '2026-06-09T08:00:00.000Z',
      until: '2026-06-10T08:30:00.000Z',
    })
    expect(newest?.promotable).toBe(false)
    // D's stay counts from the latest arrival the ledger records (its successful ACC deployment).
    expect(newest?.soak).toMatchObject({ minutes: 30, required: 120, since: '2026-06-10T08:30:00.000Z' })
    expect(newest?.soak.until).toBeUndefined()
    expect(newest?.refusals.map((refusal) => [refusal.code, refusal.clearsAt])).toEqual([
      ['SOAK_INCOMPLETE', '2026-06-10T10:30:00.000Z'],
    ])
    expect(newest?.facts.subject).toBe('four')
  })

  it('show a digest without verification record as refused, with no time at which it clears', () => {
    const board = buildBoard(input([acc(C, '3', '2026-06-09T08:00:00.000Z')]))
    expect(board.candidates[0]?.refusals.map((refusal) => [refusal.code, refusal.clearsAt])).toEqual([
      ['NO_EVIDENCE', undefined],
    ])
  })
})

describe('what the board reads as attestations', () => {
  const acc = (digest: string, at: string, outcome: LedgerEntry['outcome'] = 'succeeded') =>
    entry({ environment: 'acc', action: 'deploy', digest, commit: commitOf('1'), at, outcome })

  it('derives ACC stays from the ledger: a digest departs when another one is deployed to ACC', () => {
    const ledger = [
      acc(A, '2026-06-01T08:00:00.000Z'),
      acc(B, '2026-06-02T08:00:00.000Z', 'failed'),
      entry({
        environment: 'acc',
        action: 'rollback',
        digest: A,
        commit: commitOf('1'),
        at: '2026-06-02T08:05:00.000Z',
      }),
      acc(C, '2026-06-03T08:00:00.000Z'),
    ]
    expect(
      accDeploysInLedger(ledger).map((record) => [
        record.digest,
        record.event,
        record.at,
        record.counterpart,
      ]),
    ).toEqual([
      [A, 'arrived', '2026-06-01T08:00:00.000Z', undefined],
      // The failed deployment of B that ACC rolled back from does not end A's stay.
      [A, 'departed', '2026-06-03T08:00:00.000Z', C],
      [C, 'arrived', '2026-06-03T08:00:00.000Z', undefined],
    ])
  })

  it('says why a verification record that is not ebox.acc-evidence/v2 counts for nothing', () => {
    const old = { ...evidenceFor(C), schema: 'ebox.acc-evidence/v1' }
    const attested = attestationsOf([], (digest) => (digest === C ? old : undefined))(C)
    expect(attested.verification).toBeUndefined()
    expect(attested.distrusted).toEqual([expect.stringContaining('/schema')])
    const board = buildBoard(
      input([acc(C, '2026-06-09T08:00:00.000Z')], {
        verificationOf: (digest) => (digest === C ? old : undefined),
      }),
    )
    expect(board.candidates[0]?.refusals[0]?.message).toContain(
      'the verification record is not valid: /schema',
    )
  })

  it('refuses a candidate whose stay in ACC ended before the soak', () => {
    const ledger = [acc(C, '2026-06-10T07:00:00.000Z'), acc(D, '2026-06-10T07:45:00.000Z')]
    const evidence = evidenceFor(C, {
      commit: commitOf('3'),
      deployedAt: '2026-06-10T06:50:00.000Z',
      verifiedAt: '2026-06-10T07:00:00.000Z',
    })
    const board = buildBoard(
      input(ledger, { verificationOf: (digest) => (digest === C ? evidence : undefined) }),
    )
    const candidate = board.candidates.find((found) => found.digest === C)
    expect(candidate?.soak).toMatchObject({ minutes: 45, until: '2026-06-10T07:45:00.000Z' })
    expect(candidate?.refusals.map((refusal) => [refusal.code, refusal.clearsAt])).toEqual([
      ['SOAK_INCOMPLETE', undefined],
    ])
  })

  it('calls a rollback target the same schema when both verification records name one version', () => {
    const ledger = [
      entry({ environment: 'prd', action: 'promote', digest: A, commit: commitOf('3') }),
      entry({ environment: 'prd', action: 'promote', digest: B, commit: commitOf('4') }),
    ]
    const records: Record<string, unknown> = {
      [A]: evidenceFor(A, { commit: commitOf('3'), schemaVersion: '0004_d' }),
      [B]: evidenceFor(B, { commit: commitOf('4'), schemaVersion: '0004_d' }),
    }
    const schema = buildBoard(input(ledger, { verificationOf: (digest) => records[digest] })).environments.prd
      ?.rollback?.schema
    expect(schema).toMatchObject({
      status: 'same',
      detail: 'same schema: both verification records name 0004_d',
    })
  })
})

describe('the history and the rejections', () => {
  it('list the newest first, up to the limit, rejections apart', () => {
    const ledger = Array.from({ length: 5 }, (_, index) =>
      entry({
        environment: 'acc',
        action: 'deploy',
        digest: digestOf(String(index)),
        at: `2026-06-0${index + 1}T10:00:00.000Z`,
      }),
    )
    ledger.push(entry({ environment: 'prd', action: 'reject', digest: digestOf('3'), reasons: ['no'] }))
    const board = buildBoard(input(ledger, { limit: 3 }))
    expect(board.history.map((row) => row.entry.digest)).toEqual([
      digestOf('4'),
      digestOf('3'),
      digestOf('2'),
    ])
    expect(board.rejected.map((row) => row.entry.reasons)).toEqual([['no']])
  })
})

describe('the shipped sample', () => {
  it('has promotions, a rejection, rollbacks, a freeze in force and waiting candidates', () => {
    const board = buildBoard({ ...sampleSource(), limit: 10 })
    expect(board.freeze.inForce?.name).toBe('Weekend')
    expect(board.freeze.thaw?.toISOString()).toBe('2027-03-30T06:00:00.000Z')
    expect(board.rejected).toHaveLength(1)
    const actions = board.history.map(
      (row) => `${row.entry.environment} ${row.entry.action} ${row.entry.outcome}`,
    )
    expect(actions).toEqual(
      expect.arrayContaining(['prd promote succeeded', 'prd rollback succeeded', 'acc rollback succeeded']),
    )
    expect(board.candidates.map((candidate) => candidate.refusals.map((refusal) => refusal.code))).toEqual([
      ['SOAK_INCOMPLETE', 'FROZEN'],
      ['FROZEN'],
    ])
    // PRD runs 1.6.1 (0006_performance); the release before it needs 0005_federation. The migrations would allow
    // it (0006 came right after it), but the pipeline only rolls back within one schema version.
    const schema = board.environments.prd?.rollback?.schema
    expect(schema?.status).toBe('differs')
    expect(schema?.detail).toContain('needs schema 0005_federation, the running release 0006_performance')
    expect(schema?.detail).toContain('0006_performance came with the release right after the target')
  })
})
