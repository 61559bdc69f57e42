import type { CheckResult, Report } from '../types.ts'

const MARK = { passed: '✔', failed: '✘', skipped: '○' } as const

/** One line per check (and the reason of a failure or skip), as the run goes. */
export function formatResultLine(result: CheckResult, color = false): string {
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)
  const code =
    result.status === 'passed' ? 32 : result.status === 'failed' ? (result.mandatory ? 31 : 33) : 90
  const advisory = result.mandatory ? '' : ' (advisory)'
  let line = `${paint(code, MARK[result.status])} ${result.id}${advisory} — ${result.title} ${paint(90, `(${result.durationMs} ms)`)}`
  if (result.message) line += `\n    ${paint(code, result.message)}`
  const first = result.evidence.at(-1)
  if (result.status === 'failed' && first) {
    line += `\n    ${first.request.method} ${first.request.url} as ${first.request.as} → ${first.response?.status ?? 'no answer'}`
    if (first.response?.pointer) line += ` at ${first.response.pointer}`
    if (first.response?.excerpt !== undefined) {
      const excerpt =
        typeof first.response.excerpt === 'string'
          ? first.response.excerpt
          : JSON.stringify(first.response.excerpt)
      line += `\n    ${paint(90, excerpt.length > 300 ? `${excerpt.slice(0, 300)}…` : excerpt)}`
    }
  }
  return line
}

/** The closing summary. */
export function formatSummary(report: Report): string {
  const { passed, failed, skipped, mandatoryFailed, ok } = report.summary
  const verdict = ok ? 'PASSED' : 'FAILED'
  return [
    '',
    `${verdict}: ${report.baseUrl}, profile ${report.profile}, ${(report.durationMs / 1000).toFixed(1)} s`,
    `${passed} passed, ${failed} failed (${mandatoryFailed} mandatory), ${skipped} skipped`,
  ].join('\n')
}
