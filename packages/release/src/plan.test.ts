import { describe, expect, it } from 'vitest'
import { type PlanCheck, planProblems, stackVersionOf } from './plan.ts'
import { commitOf, digestOf, REPOSITORY } from './test-support.ts'

const IMAGE = `${REPOSITORY}@${digestOf('d')}`
const check = (overrides: Partial<PlanCheck> = {}): PlanCheck => ({
  seal: {
    stack: 'prd',
    planSha256: 'a'.repeat(64),
    createdAt: '2026-06-10T08:00:00.000Z',
    stackVersion: 41,
    image: IMAGE,
    commit: commitOf('c'),
  },
  planSha256: 'a'.repeat(64),
  stack: 'prd',
  stackVersion: 41,
  image: IMAGE,
  commit: commitOf('c'),
  now: new Date('2026-06-10T09:00:00Z'),
  maxAgeMinutes: 240,
  ...overrides,
})

describe('the saved plan', () => {
  it('is applied when it is the sealed one, fresh, for this stack state, image and commit', () => {
    expect(planProblems(check())).toEqual([])
  })

  it('is refused when older than the policy allows', () => {
    expect(planProblems(check({ now: new Date('2026-06-10T12:01:00Z') }))).toEqual([
      "the plan is 241 minutes old, more than the policy's 240",
    ])
  })

  it('is refused when the stack changed since, or the file or target differs', () => {
    expect(planProblems(check({ stackVersion: 42 }))).toEqual([
      'the stack changed since the plan was made (version 41, now 42): preview again',
    ])
    expect(planProblems(check({ planSha256: 'b'.repeat(64) }))).toEqual([
      'the plan file is not the one the gate saved',
    ])
    expect(planProblems(check({ stack: 'acc' }))).toEqual(['the plan is for stack prd, not acc'])
    expect(planProblems(check({ commit: commitOf('e') }))[0]).toContain('the plan is for')
  })

  it('reads the stack version from `pulumi stack history --json`', () => {
    expect(stackVersionOf([{ version: 41 }, { version: 40 }])).toBe(41)
    expect(stackVersionOf([])).toBe(0)
    expect(() => stackVersionOf({})).toThrow(/not a JSON list/)
  })
})
