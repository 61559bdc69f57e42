/** The job summary the approver reads before approving a PRD deployment: one page, the evidence first. */
import type { CommitLine } from './git.ts'
import type { Verdict } from './promotion.ts'
import type { AccEvidence, ChangesetSummary } from './schemas.ts'
import { formatLocal } from './zoned.ts'

export interface SummaryInput {
  verdict: Verdict
  evidence?: AccEvidence
  /** Commits between what PRD runs and the candidate, and the changesets they added. */
  commits?: CommitLine[]
  changesets?: ChangesetSummary[]
  /** True when the candidate does not contain what PRD runs now (a downgrade or a side branch). */
  notAhead?: boolean
  /** https://github.com/owner/repo, for links. */
  repositoryUrl: string
  allowWaiting?: boolean
}

const ZONE = 'Europe/Brussels'
const MAX_COMMITS = 100

/**
 * Makes user-controlled text (commit subjects, authors, changeset text, refusal reasons) render as plain text:
 * HTML and table pipes become entities, every other Markdown punctuation is backslash-escaped (links, images,
 * emphasis, code, headings, lists), line breaks become spaces, and bare URLs, `www.` and @mentions get a
 * zero-width space so GitHub does not turn them into live links.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+\-.!~:=]/g, (char) => `\\${char}`)
    .replace(/[<>&|]/g, (char) => `&#${char.charCodeAt(0)};`)
    .replace(/(\\:)(\/\/)/g, '$1\u200b$2')
    .replace(/\b(www)\b/gi, '$1\u200b')
    .replace(/@/g, '@\u200b')
}
const when = (iso: string): string => formatLocal(ZONE, Date.parse(iso))
const short = (sha: string): string => sha.slice(0, 7)

export function renderSummary(input: SummaryInput): string {
  const { verdict, evidence } = input
  const link = (sha: string): string => `[\`${short(sha)}\`](${input.repositoryUrl}/commit/${sha})`
  const title = verdict.decision === 'rollback' ? 'PRD rollback' : 'PRD promotion'
  const waiting = verdict.promotable && verdict.refusals.length > 0
  const status = !verdict.promotable
    ? '⛔ refused'
    : waiting
      ? '⏳ may be approved now, but the deploy job refuses unless the conditions below have cleared by then'
      : '✅ ready for approval'
  const lines = [`## ${title}: ${status}`, '', '| | |', '| --- | --- |', `| Digest | \`${verdict.digest}\` |`]
  if (verdict.candidate) {
    lines.push(`| Image | \`${verdict.candidate.image}\` |`, `| Commit | ${link(verdict.candidate.commit)} |`)
  }
  lines.push(
    verdict.current
      ? `| PRD runs now | \`${verdict.current.digest}\` (${link(verdict.current.commit)}) since ${when(verdict.current.at)} |`
      : '| PRD runs now | nothing recorded in the ledger |',
  )
  if (verdict.decision === 'promote')
    lines.push(
      verdict.rollbackTo
        ? `| Automatic rollback target | \`${verdict.rollbackTo.digest}\` (${link(verdict.rollbackTo.commit)}) |`
        : `| Automatic rollback target | **none**: a failed deployment stops and pages${verdict.noRollback ? ` (${verdict.noRollback})` : ''} |`,
    )
  if (verdict.acc)
    lines.push(
      verdict.acc.until
        ? `| In ACC | from ${when(verdict.acc.since)} until ${when(verdict.acc.until)}: **ACC moved on**${verdict.acc.movedOnTo ? ` to \`${verdict.acc.movedOnTo}\`` : ''} |`
        : `| In ACC | since ${when(verdict.acc.since)}, still running |`,
    )
  lines.push(`| Evaluated | ${when(verdict.evaluatedAt)} (Europe/Brussels) |`, '')

  if (verdict.refusals.length > 0) {
    lines.push(
      waiting
        ? '### Not yet: checked again after approval; if still true then, the deploy job refuses (start a new run later)'
        : '### Refused because',
      '',
    )
    for (const refusal of verdict.refusals)
      lines.push(`- **${refusal.code}**: ${escapeMarkdown(refusal.message)}`)
    lines.push('')
  }

  if (evidence) {
    lines.push(
      '### ACC evidence',
      '',
      `Verified in ACC at ${when(evidence.verifiedAt)} by [this run](${evidence.runUrl}), signed by deploy-acc.yml on main; schema \`${evidence.schemaVersion}\`.`,
      '',
      '| Check | Result | Report |',
      '| --- | --- | --- |',
    )
    for (const result of evidence.conformance)
      lines.push(
        `| Conformance, ${result.profile} profile | ${result.passed ? 'passed' : 'FAILED'} | \`${result.report}\` (sha256 \`${result.reportSha256.slice(0, 12)}…\`) |`,
      )
    const load = evidence.loadCheck
    lines.push(
      `| Load check | ${load.passed ? 'passed' : 'FAILED'} | ${load.requests} requests, ${load.errors} errors, p95 ${load.p95Ms} ms (limit ${load.maxP95Ms} ms) |`,
      '',
    )
  }

  if (input.commits) {
    lines.push(`### Changes since what PRD runs now (${input.commits.length} commits)`, '')
    if (input.notAhead)
      lines.push(
        '> [!WARNING]',
        '> The candidate does not contain the commit PRD runs now: this deployment removes changes.',
        '',
      )
    for (const commit of input.commits.slice(0, MAX_COMMITS))
      lines.push(`- ${link(commit.sha)} ${escapeMarkdown(commit.subject)} (${escapeMarkdown(commit.author)})`)
    if (input.commits.length > MAX_COMMITS) lines.push(`- … and ${input.commits.length - MAX_COMMITS} more`)
    lines.push('')
  }

  if (input.changesets && input.changesets.length > 0) {
    lines.push('### Changesets', '')
    for (const changeset of input.changesets) {
      const bumps = Object.entries(changeset.releases)
        .map(([name, bump]) => `${name} ${bump}`)
        .join(', ')
      lines.push(
        `- **${escapeMarkdown(bumps || changeset.id)}**: ${escapeMarkdown(changeset.summary.split('\n')[0] ?? '')}`,
      )
    }
    lines.push('')
  }

  if (verdict.promotable && verdict.candidate)
    lines.push('The `pulumi preview` of prd with this image follows below.', '')
  return `${lines.join('\n')}\n`
}
