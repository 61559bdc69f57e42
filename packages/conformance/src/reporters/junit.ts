import type { Report } from '../types.ts'

function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  )
}

/** JUnit XML: one testsuite, one testcase per check (class name = the check's group). */
export function toJUnit(report: Report): string {
  const { passed, failed, skipped } = report.summary
  const total = passed + failed + skipped
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ebox-conformance" tests="${total}" failures="${failed}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${escapeXml(`ebox-conformance ${report.profile} ${report.baseUrl}`)}" tests="${total}" failures="${failed}" skipped="${skipped}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
    '    <properties>',
    `      <property name="profile" value="${report.profile}"/>`,
    `      <property name="baseUrl" value="${escapeXml(report.baseUrl)}"/>`,
    `      <property name="tool" value="${escapeXml(`${report.tool.name}@${report.tool.version}`)}"/>`,
    '    </properties>',
  ]
  for (const check of report.checks) {
    const group = check.id.split('.')[0]
    const name = `${check.id}${check.mandatory ? '' : ' (advisory)'}: ${check.title}`
    const open = `    <testcase classname="conformance.${escapeXml(group ?? 'check')}" name="${escapeXml(name)}" time="${(check.durationMs / 1000).toFixed(3)}"`
    if (check.status === 'passed') {
      lines.push(`${open}/>`)
      continue
    }
    lines.push(`${open}>`)
    if (check.status === 'skipped') {
      lines.push(`      <skipped message="${escapeXml(check.message ?? '')}"/>`)
    } else {
      const details = [`Rule: ${check.rule}`, '', JSON.stringify(check.evidence, null, 2)].join('\n')
      lines.push(
        `      <failure message="${escapeXml(check.message ?? 'failed')}" type="${check.mandatory ? 'mandatory' : 'advisory'}">${escapeXml(details)}</failure>`,
      )
    }
    lines.push('    </testcase>')
  }
  lines.push('  </testsuite>', '</testsuites>', '')
  return lines.join('\n')
}
