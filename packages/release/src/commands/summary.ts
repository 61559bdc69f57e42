/** `summary`: the approver's page, in Markdown, for $GITHUB_STEP_SUMMARY. */
import { changesetsAddedBetween, commitsBetween, isAncestor } from '../git.ts'
import type { Verdict } from '../promotion.ts'
import { renderSummary } from '../summary.ts'
import { type Context, readJson, required } from './context.ts'

export function summary(ctx: Context): number {
  const verdict = readJson(required(ctx.values, 'verdict'), 'the verdict') as Verdict
  const repoDir = ctx.values['repo-dir'] ?? '.'
  const from = verdict.current?.commit
  const to = verdict.candidate?.commit
  let changes = {}
  if (from && to) {
    try {
      changes = {
        commits: commitsBetween(repoDir, from, to),
        changesets: changesetsAddedBetween(repoDir, from, to),
        notAhead: !isAncestor(repoDir, from, to),
      }
    } catch (error) {
      ctx.io.stderr(`::warning::no changelog: ${error instanceof Error ? error.message : error}\n`)
    }
  }
  ctx.io.stdout(
    renderSummary({
      verdict,
      evidence: verdict.decision === 'promote' ? verdict.evidence : undefined,
      ...changes,
      repositoryUrl: ctx.repositoryUrl,
      allowWaiting: ctx.values['allow-waiting'] === true,
    }),
  )
  return 0
}
