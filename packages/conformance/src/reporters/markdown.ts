import type { Report } from '../types.ts'

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** A Markdown summary for a GitHub job summary ($GITHUB_STEP_SUMMARY): verdict, failures first, then every check. */
export function toMarkdown(report: Report): string {
  const { passed, failed, skipped, mandatoryFailed, ok } = report.summary
  const lines = [
    `## ${ok ? '✅' : '❌'} e-Box conformance — ${report.profile} profile`,
    '',
    `\`${report.baseUrl}\` · ${passed} passed · ${failed} failed (${mandatoryFailed} mandatory) · ${skipped} skipped · ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
  ]
  const failures = report.checks.filter((check) => check.status === 'failed')
  if (failures.length > 0) {
    lines.push('### Failures', '')
    for (const check of failures) {
      const evidence = check.evidence.at(-1)
      lines.push(`- **${check.id}**${check.mandatory ? '' : ' (advisory)'} — ${check.message ?? ''}`)
      lines.push(`  <sub>Rule: ${check.rule}</sub>`)
      if (evidence) {
        lines.push(
          `  <sub>\`${evidence.request.method} ${evidence.request.url}\` as ${evidence.request.as} → ${evidence.response?.status ?? 'no answer'}${evidence.response?.pointer ? ` at \`${evidence.response.pointer}\`` : ''} (correlation id \`${evidence.request.correlationId}\`)</sub>`,
        )
      }
    }
    lines.push('')
  }
  lines.push(
    '<details><summary>All checks</summary>',
    '',
    '| Check | Status | Rule | Time |',
    '|---|---|---|---|',
  )
  const icon = { passed: '✅', failed: '❌', skipped: '⏭️' } as const
  for (const check of report.checks) {
    const status = `${icon[check.status]} ${check.status}${check.status === 'skipped' && check.message ? `: ${check.message}` : ''}`
    lines.push(
      `| \`${check.id}\`${check.mandatory ? '' : ' (advisory)'} — ${cell(check.title)} | ${cell(status)} | ${cell(check.rule)} | ${check.durationMs} ms |`,
    )
  }
  lines.push('', '</details>', '')
  return lines.join('\n')
}
