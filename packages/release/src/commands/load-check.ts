/** `load-check`: the policy's short load check. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { loadCheck } from '../load.ts'
import { type Context, required } from './context.ts'

export async function loadCheckCommand(ctx: Context): Promise<number> {
  const report = await loadCheck(required(ctx.values, 'base-url'), ctx.policy().loadCheck)
  const out = ctx.values.out ?? 'load.json'
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  const line = `${report.requests} requests, ${report.errors} errors, p95 ${report.p95Ms} ms (limits: error rate ${report.maxErrorRate}, p95 ${report.maxP95Ms} ms)`
  ctx.io.stderr(report.passed ? `load check passed: ${line}\n` : `::error::load check failed: ${line}\n`)
  return report.passed ? 0 : 1
}
