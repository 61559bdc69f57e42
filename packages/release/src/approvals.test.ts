import { describe, expect, it } from 'vitest'
import { attemptApproval, type Review } from './approvals.ts'

const review = (login: string, state = 'approved', environment = 'production'): Review => ({
  state,
  user: { login },
  environments: [{ name: environment }],
  comment: '',
})
const base = { environment: 'production', runAttempt: 1, gateAttempt: 1, actors: ['alice', 'alice'] }

describe('an approval bound to the attempt', () => {
  it('holds for the first attempt approved by someone other than who started it', () => {
    expect(attemptApproval({ ...base, reviews: [review('bob')] })).toEqual({ ok: true, approvers: ['bob'] })
  })

  it('refuses a run nobody approved, or approved only by who started it (any case)', () => {
    expect(attemptApproval({ ...base, reviews: [] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('nobody reviewed'),
    })
    expect(attemptApproval({ ...base, reviews: [review('Alice')] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('a second person must approve'),
    })
    const rerunBy = { ...base, actors: ['alice', 'bob'], reviews: [review('bob')] }
    expect(attemptApproval(rerunBy).ok).toBe(false)
  })

  it('refuses a re-run without a new review, and accepts it with one', () => {
    const rerun = { ...base, runAttempt: 2, gateAttempt: 2, reviews: [review('bob')] }
    expect(attemptApproval(rerun)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('attempt 2 has 1 independent'),
    })
    expect(attemptApproval({ ...rerun, reviews: [review('bob'), review('carol')] })).toEqual({
      ok: true,
      approvers: ['bob', 'carol'],
    })
  })

  it('refuses a re-run of failed jobs that reuses the gate of an earlier attempt', () => {
    const reused = { ...base, runAttempt: 2, gateAttempt: 1, reviews: [review('bob'), review('carol')] }
    expect(attemptApproval(reused)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('the gate ran in attempt 1'),
    })
  })

  it('refuses when the last review of the environment rejected it; ignores other environments', () => {
    expect(attemptApproval({ ...base, reviews: [review('bob'), review('carol', 'rejected')] }).ok).toBe(false)
    expect(attemptApproval({ ...base, reviews: [review('bob', 'approved', 'acc')] }).ok).toBe(false)
  })
})
