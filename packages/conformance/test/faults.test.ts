import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ALL_CHECKS } from '../src/checks/index.ts'
import type { DataSetExpectations } from '../src/framework.ts'
import { runConformance } from '../src/runner.ts'
import type { TokenSource } from '../src/tokens.ts'
import type { Profile, Report, Role } from '../src/types.ts'
import { FAKE_TOKENS, type FakeRegistry, type Fault, startFakeRegistry } from './fake-registry.ts'

const TOKENS = Object.fromEntries(
  Object.entries(FAKE_TOKENS).map(([role, token]) => [role, { kind: 'static', token } satisfies TokenSource]),
) as Record<Role, TokenSource>

/** What the fake registry's data set looks like after a reset (the certification profile's known data). */
const fakeId = (index: number) => `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`
/** Listed messages of the main e-Box whose fr subject is "Rappel : épinards et François, ok ?". */
const SPINACH = [0, 6, 12, 18, 24].map(fakeId)

/** What the fake registry's data set looks like after a reset (the certification profile's known data). */
export const FAKE_DATA_SET: DataSetExpectations = {
  name: 'fake registry',
  listTotal: 27,
  minimumListTotal: 11,
  mainPdf: { messageId: fakeId(0), attachmentId: '1' },
  filterTotals: [
    { query: { partitionId: 'partitionBid' }, totalItems: 7, why: 'partition B' },
    { query: { readStatus: true }, totalItems: 6, why: 'read messages' },
  ],
  searches: [
    { q: 'epinards', qlang: 'fr', why: 'accents', exactly: SPINACH },
    { q: 'FRANCOIS', qlang: 'fr', why: 'case and accents', includes: SPINACH },
    { q: 'ép', qlang: 'fr', why: 'short', includes: SPINACH },
    { q: 'et épinards', qlang: 'fr', why: 'reordered words', excludes: SPINACH },
  ],
  otherEboxListTotal: 4,
}

let registry: FakeRegistry

beforeAll(async () => {
  registry = await startFakeRegistry()
})
afterAll(async () => {
  await registry.close()
})

function run(
  profile: Profile,
  options: { only?: string[]; tokens?: Partial<Record<Role, TokenSource>> } = {},
): Promise<Report> {
  return runConformance({
    baseUrl: registry.url,
    profile,
    tokens: options.tokens ?? TOKENS,
    expectations: profile === 'certification' ? FAKE_DATA_SET : undefined,
    only: options.only,
  })
}

function failures(report: Report): string {
  return report.checks
    .filter((check) => check.status !== 'passed')
    .map((check) => `${check.id}: ${check.status}: ${check.message}`)
    .join('\n')
}

describe('against a registry without faults', () => {
  it.each(['prod', 'certification'] as const)('every check passes in the %s profile', async (profile) => {
    registry.setFaults([])
    const report = await run(profile)
    expect(failures(report)).toBe('')
    expect(report.summary.ok).toBe(true)
    expect(report.checks.length).toBe(ALL_CHECKS.filter((check) => check.profiles.includes(profile)).length)
  })

  it('the prod profile only reads: GET (and a CORS preflight), and no message becomes read', async () => {
    registry.setFaults([])
    const before = registry.messages().map((message) => message.readDate)
    const methods = new Set<string>()
    const report = await runConformance({
      baseUrl: registry.url,
      profile: 'prod',
      tokens: TOKENS,
      fetch: (input, init) => {
        methods.add(init?.method ?? 'GET')
        return fetch(input, init)
      },
    })
    expect(report.summary.ok).toBe(true)
    expect([...methods].sort()).toEqual(['GET', 'OPTIONS'])
    expect(registry.messages().map((message) => message.readDate)).toEqual(before)
  })

  it('the prod profile skips, with the reason, the checks whose optional tokens are not given', async () => {
    registry.setFaults([])
    const report = await run('prod', {
      tokens: { consultation: TOKENS.consultation, referenceData: TOKENS.referenceData },
    })
    const skipped = report.checks.filter((check) => check.status === 'skipped')
    expect(skipped.map((check) => check.id).sort()).toEqual([
      'auth.insufficient-scope',
      'auth.publication-scope',
      'isolation.cross-ebox',
    ])
    expect(skipped.find((check) => check.id === 'isolation.cross-ebox')?.message).toMatch(
      /--other-ebox-token-command/,
    )
    expect(report.summary.ok).toBe(true)
  })

  it('the certification profile fails the checks whose tokens are not given: it runs every check', async () => {
    registry.setFaults([])
    const { otherEbox: _other, insufficientScope: _insufficient, ...rest } = TOKENS
    const report = await run('certification', {
      tokens: rest,
      only: ['auth.insufficient-scope', 'isolation.cross-ebox'],
    })
    expect(report.checks.map((check) => check.status)).toEqual(['failed', 'failed'])
    expect(report.summary.ok).toBe(false)
  })
})

/**
 * One case per check: a fault of the registry that the check exists to catch. `only` adds the checks that must
 * run first (the certification reset before the data-set checks, the read marking before the second reset).
 */
const CASES: Array<{ check: string; fault: Fault; profile?: Profile; only?: string[] }> = [
  { check: 'certification.version', fault: 'version-requires-auth' },
  { check: 'certification.reset-protected', fault: 'reset-unprotected', profile: 'certification' },
  { check: 'certification.reset', fault: 'reset-broken', profile: 'certification' },
  {
    check: 'certification.data-set',
    fault: 'data-set-drift',
    profile: 'certification',
    only: ['certification.reset', 'certification.data-set'],
  },
  {
    check: 'certification.reset-restores',
    fault: 'reset-keeps-reads',
    profile: 'certification',
    only: ['certification.reset', 'read.main-marks-read', 'certification.reset-restores'],
  },
  { check: 'auth.missing-token', fault: 'auth-optional' },
  { check: 'auth.invalid-token', fault: 'any-token-accepted' },
  { check: 'auth.insufficient-scope', fault: 'scope-ignored' },
  { check: 'auth.publication-scope', fault: 'scope-ignored' },
  { check: 'list.shape', fault: 'missing-total' },
  { check: 'list.empty-result', fault: 'null-items' },
  { check: 'list.default-page-size', fault: 'default-page-size-10' },
  { check: 'list.max-page-size', fault: 'page-size-unbounded' },
  { check: 'list.paging-bounds', fault: 'page-zero-accepted' },
  { check: 'list.paging-consistency', fault: 'paging-overlap' },
  { check: 'list.ordering', fault: 'pages-reversed' },
  { check: 'filter.read-status', fault: 'filter-readStatus-ignored' },
  { check: 'filter.visible', fault: 'filter-visible-ignored' },
  { check: 'filter.registered-mail', fault: 'filter-registeredMail-ignored' },
  { check: 'filter.message-type', fault: 'filter-messageTypeId-ignored' },
  { check: 'filter.sender-organization', fault: 'filter-senderOrganizationId-ignored' },
  { check: 'filter.sender-application', fault: 'filter-senderApplicationId-ignored' },
  { check: 'filter.partition', fault: 'filter-partitionId-ignored' },
  { check: 'filter.received-dates', fault: 'receivedBefore-inclusive' },
  { check: 'filter.expiration-dates', fault: 'expired-filters-ignored' },
  { check: 'filter.combined', fault: 'filters-or' },
  { check: 'filter.invalid-values', fault: 'bad-date-ignored' },
  { check: 'search.qlang-required', fault: 'q-without-qlang-accepted' },
  { check: 'search.qlang-unknown', fault: 'qlang-en-accepted' },
  { check: 'search.unmatched', fault: 'q-ignored' },
  { check: 'search.substring', fault: 'search-accent-sensitive' },
  { check: 'search.word-order', fault: 'search-words' },
  { check: 'search.known-data', fault: 'search-accent-sensitive', profile: 'certification' },
  { check: 'search.fields', fault: 'search-subject-only' },
  { check: 'message.detail', fault: 'detail-differs' },
  { check: 'message.not-found', fault: 'unknown-message-500' },
  { check: 'message.attachments', fault: 'attachments-list-differs' },
  { check: 'message.main-content', fault: 'two-main-contents' },
  { check: 'refdata.lists', fault: 'refdata-list-null' },
  { check: 'refdata.resolution', fault: 'refdata-missing-application' },
  { check: 'refdata.cache-control', fault: 'no-cache-control' },
  { check: 'refdata.not-found', fault: 'refdata-unknown-200' },
  { check: 'data.no-nulls', fault: 'null-property' },
  { check: 'data.translated-strings', fault: 'empty-translation' },
  { check: 'data.enterprise-numbers', fault: 'nine-digit-cbe' },
  { check: 'errors.status-message', fault: 'error-body-plain' },
  { check: 'statistics.shape', fault: 'statistics-missing' },
  { check: 'isolation.cross-ebox', fault: 'foreign-message-visible' },
  { check: 'cors.portal', fault: 'no-cors' },
  { check: 'read.annex-keeps-unread', fault: 'annex-marks-read', profile: 'certification' },
  { check: 'read.main-marks-read', fault: 'main-does-not-mark-read', profile: 'certification' },
  { check: 'content.digest-size', fault: 'content-corrupt' },
  { check: 'content.headers', fault: 'content-octet-stream' },
  { check: 'content.body', fault: 'body-missing' },
  { check: 'message.content-href', fault: 'relative-content-href' },
  { check: 'statistics.action-required', fault: 'action-count-includes-executed' },
  { check: 'actions.execute', fault: 'action-patch-missing', profile: 'certification' },
  { check: 'optional.not-implemented', fault: 'unimplemented-404' },
]

/** More faults each caught by a check (and the check they must fail). */
const MORE_CASES: Array<{ check: string; fault: Fault; profile?: Profile }> = [
  { check: 'list.shape', fault: 'null-property' },
  { check: 'list.shape', fault: 'incomplete-translation' },
  { check: 'list.shape', fault: 'nine-digit-cbe' },
  { check: 'data.translated-strings', fault: 'incomplete-translation' },
  { check: 'list.ordering', fault: 'oldest-first' },
  { check: 'list.paging-bounds', fault: 'past-end-error' },
  { check: 'search.substring', fault: 'search-case-sensitive' },
  { check: 'search.substring', fault: 'q-ignored' },
  { check: 'search.known-data', fault: 'search-words', profile: 'certification' },
  { check: 'refdata.cache-control', fault: 'short-cache' },
  { check: 'isolation.cross-ebox', fault: 'foreign-detail-readable' },
  { check: 'content.digest-size', fault: 'content-size-wrong' },
  { check: 'content.digest-size', fault: 'content-corrupt', profile: 'certification' },
  { check: 'auth.missing-token', fault: 'error-body-plain' },
  { check: 'actions.execute', fault: 'action-not-kept', profile: 'certification' },
  { check: 'actions.execute', fault: 'action-not-idempotent', profile: 'certification' },
  { check: 'actions.execute', fault: 'action-count-includes-executed', profile: 'certification' },
  // The certification profile also calls the unserved POST and PATCH operations.
  { check: 'optional.not-implemented', fault: 'unimplemented-404', profile: 'certification' },
]

describe('each check fails against the fault it is meant to catch', () => {
  it('every check has a fault case', () => {
    const covered = new Set(CASES.map((entry) => entry.check))
    expect(ALL_CHECKS.map((check) => check.id).filter((id) => !covered.has(id))).toEqual([])
  })

  it.each([...CASES, ...MORE_CASES])(
    '$check fails with the fault $fault ($profile)',
    async ({ check, fault, profile, ...rest }) => {
      const only = 'only' in rest && rest.only ? (rest.only as string[]) : [check]
      const chosen = profile ?? ALL_CHECKS.find((candidate) => candidate.id === check)!.profiles[0]!
      registry.setFaults([])
      const clean = await run(chosen, { only })
      expect(failures(clean), 'passes without the fault').toBe('')
      registry.setFaults([fault])
      const report = await run(chosen, { only })
      const result = report.checks.find((candidate) => candidate.id === check)
      expect(result?.status, result?.message).toBe('failed')
      expect(result?.message).toBeTruthy()
      expect(report.summary.ok).toBe(!result?.mandatory)
    },
  )
})

describe('contentHref in ACC and PRD', () => {
  it.each(['prod', 'certification'] as const)(
    'an http contentHref fails message.content-href when https is required (%s)',
    async (profile) => {
      const runWith = () =>
        runConformance({
          baseUrl: registry.url,
          profile,
          tokens: TOKENS,
          expectations: profile === 'certification' ? FAKE_DATA_SET : undefined,
          only: ['message.content-href'],
          requireHttpsHrefs: true,
        })
      registry.setFaults([])
      expect(failures(await runWith()), 'passes without the fault').toBe('')
      registry.setFaults(['http-content-href'])
      const result = (await runWith()).checks.find((check) => check.id === 'message.content-href')
      expect(result?.status, result?.message).toBe('failed')
      expect(result?.message).toContain('is not https:')
    },
  )
})
