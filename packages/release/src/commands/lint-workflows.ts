/** `lint-workflows`: actionlint and the pipeline invariants. */
import { lintWorkflows } from '../workflow-lint.ts'
import type { Context } from './context.ts'

export async function lintWorkflowsCommand(ctx: Context): Promise<number> {
  const problems = await lintWorkflows(ctx.values.root ?? '.')
  for (const problem of problems) ctx.io.stderr(`${problem.file}:${problem.line}: ${problem.message}\n`)
  ctx.io.stderr(
    problems.length === 0 ? 'workflows: no problems\n' : `workflows: ${problems.length} problems\n`,
  )
  return problems.length === 0 ? 0 : 1
}
