import { describe, expect, it } from 'vitest'
import { evaluatePromotion } from './promotion.ts'
import { escapeMarkdown, renderSummary } from './summary.ts'
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

const [B, C] = [digestOf('b'), digestOf('c')]
const base = {
  digest: C,
  repository: REPOSITORY,
  attested: attestedFor(C),
  onMain: true,
  history: { [B]: attestedFor(B) },
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
      commits: [
        { sha: commitOf('c'), author: 'Eve', subject: 'feat: <script>exports</script> | more' },
        {
          sha: commitOf('d'),
          author: 'Mallory',
          subject: '[Approved by security](https://evil.example) **now**',
        },
      ],
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
    expect(markdown).toContain('| In ACC | since 2026-06-10 09:30 (+02:00), still running |')
    expect(markdown).toContain('| Conformance, certification profile | passed |')
    expect(markdown).toContain('| Load check | passed | 1200 requests, 0 errors, p95 42 ms (limit 500 ms) |')
    expect(markdown).toContain('### Changes since what PRD runs now (2 commits)')
    expect(markdown).toContain('feat\\: &#60;script&#62;exports&#60;/script&#62; &#124; more (Eve)')
    expect(markdown).toContain(
      '\\[Approved by security\\]\\(https\\:\u200b//evil\\.example\\) \\*\\*now\\*\\* (Mallory)',
    )
    expect(markdown).not.toContain('](https://evil')
    expect(markdown).toContain('- **@\u200bebox/registry minor**: Adds exports\\.')
    expect(markdown).toContain('pulumi preview')
  })

  it('puts the refusals first when refused', () => {
    const markdown = renderSummary({
      verdict: evaluatePromotion({ ...base, attested: NOTHING_TRUSTED }),
      repositoryUrl,
    })
    expect(markdown).toContain('## PRD promotion: ⛔ refused')
    expect(markdown).toContain(
      `- **NO_EVIDENCE**: no ACC verification of ${escapeMarkdown(C)} signed by deploy\\-acc\\.yml`,
    )
    expect(markdown).not.toContain('pulumi preview')
  })

  it('says when the approval may be given but the deployment will wait', () => {
    const verdict = evaluatePromotion({ ...base, now: new Date('2026-06-10T08:30:00Z'), allowWaiting: true })
    const markdown = renderSummary({ verdict, repositoryUrl })
    expect(markdown).toContain('⏳')
    expect(markdown).toContain('the deploy job refuses unless the conditions below have cleared by then')
    expect(markdown).toContain(
      '### Not yet: checked again after approval; if still true then, the deploy job refuses',
    )
    expect(markdown).toContain('**SOAK_INCOMPLETE**')
  })

  it('warns about a downgrade and about a first deployment with nothing to roll back to', () => {
    const verdict = evaluatePromotion({ ...base, ledger: [] })
    const markdown = renderSummary({ verdict, commits: [], notAhead: true, repositoryUrl })
    expect(markdown).toContain('| PRD runs now | nothing recorded in the ledger |')
    expect(markdown).toContain(
      '| Automatic rollback target | **none**: a failed deployment stops and pages (PRD ran nothing before: nothing to roll back to) |',
    )
    expect(markdown).toContain('this deployment removes changes')
  })
})

describe('escaping what users wrote', () => {
  it('leaves no live Markdown: links, images, emphasis, code, headings, HTML, tables, mentions, autolinks', () => {
    const hostile = '![x](http://a) `code` _em_ # h <b>|</b> @org/team www.evil.example\nnext line'
    const escaped = escapeMarkdown(hostile)
    expect(escaped).toBe(
      '\\!\\[x\\]\\(http\\:\u200b//a\\) \\`code\\` \\_em\\_ \\# h &#60;b&#62;&#124;&#60;/b&#62; @\u200borg/team www\u200b\\.evil\\.example next line',
    )
    expect(escaped.replace(/&#\d+;/g, '')).not.toMatch(/(^|[^\\])[[\]()`*_#!]/)
  })
})
