import { describe, expect, it } from 'vitest'
import { evaluatePromotion } from './promotion.ts'
import { renderSummary } from './summary.ts'
import { commitOf, digestOf, entry, evidenceFor, NO_FREEZE, POLICY, REPOSITORY } from './test-support.ts'

const [B, C] = [digestOf('b'), digestOf('c')]
const base = {
  digest: C,
  repository: REPOSITORY,
  evidence: evidenceFor(C),
  ledger: [entry({ environment: 'prd', action: 'promote', digest: B, commit: commitOf('b') })],
  verification: { signature: 'success', provenance: 'success' },
  calendar: NO_FREEZE,
  policy: POLICY,
  now: new Date('2026-06-10T12:00:00Z'),
}
const repositoryUrl = 'https://github.com/acme/ebox'

describe('the approver summary', () => {
  it('shows the digest, what PRD runs, the rollback target, the evidence and the changes', () => {
    const markdown = renderSummary({
      verdict: evaluatePromotion(base),
      evidence: evidenceFor(C),
      commits: [{ sha: commitOf('c'), author: 'Eve', subject: 'feat: <script>exports</script> | more' }],
      changesets: [
        { id: 'brave-fox', releases: { '@ebox/registry': 'minor' }, summary: 'Adds exports.\n\nDetails.' },
      ],
      repositoryUrl,
    })
    expect(markdown).toContain('## PRD promotion: ✅ ready for approval')
    expect(markdown).toContain(`| Digest | \`${C}\` |`)
    expect(markdown).toContain(`| Image | \`${REPOSITORY}@${C}\` |`)
    expect(markdown).toContain(
      `| PRD runs now | \`${B}\` ([\`bbbbbbb\`](${repositoryUrl}/commit/${commitOf('b')}))`,
    )
    expect(markdown).toContain(`| Automatic rollback target | \`${B}\``)
    expect(markdown).toContain('Verified in ACC at 2026-06-10 10:00 (+02:00)')
    expect(markdown).toContain('| Conformance, certification profile | passed |')
    expect(markdown).toContain('| Load check | passed | 1200 requests, 0 errors, p95 42 ms (limit 500 ms) |')
    expect(markdown).toContain('### Changes since what PRD runs now (1 commits)')
    expect(markdown).toContain('feat: &#60;script&#62;exports&#60;/script&#62; &#124; more (Eve)')
    expect(markdown).toContain('- **@ebox/registry minor**: Adds exports.')
    expect(markdown).toContain('pulumi preview')
  })

  it('puts the refusals first when refused', () => {
    const markdown = renderSummary({
      verdict: evaluatePromotion({ ...base, evidence: undefined }),
      repositoryUrl,
    })
    expect(markdown).toContain('## PRD promotion: ⛔ refused')
    expect(markdown).toContain(`- **NO_EVIDENCE**: no "verified in ACC" evidence for ${C}`)
    expect(markdown).not.toContain('pulumi preview')
  })

  it('says when the approval may be given but the deployment will wait', () => {
    const verdict = evaluatePromotion({ ...base, now: new Date('2026-06-10T08:30:00Z'), allowWaiting: true })
    const markdown = renderSummary({ verdict, repositoryUrl })
    expect(markdown).toContain('⏳')
    expect(markdown).toContain('### Not yet: enforced again after approval')
    expect(markdown).toContain('**SOAK_INCOMPLETE**')
  })

  it('warns about a downgrade and about a first deployment with nothing to roll back to', () => {
    const verdict = evaluatePromotion({ ...base, ledger: [] })
    const markdown = renderSummary({ verdict, commits: [], notAhead: true, repositoryUrl })
    expect(markdown).toContain('| PRD runs now | nothing recorded in the ledger |')
    expect(markdown).toContain('**none**: a failed deployment cannot be rolled back automatically')
    expect(markdown).toContain('this deployment removes changes')
  })
})
