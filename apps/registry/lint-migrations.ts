/**
 * Lints every migration with squawk (locking hazards: indexes built without CONCURRENTLY, table rewrites,
 * constraints validated under an exclusive lock, …). Only the up part is linted (down migrations are never run
 * in production). Transactional files are linted as running in a transaction, as the runner runs them.
 * Findings allowed in `migration-lint.json` are left out; anything else fails.
 *   pnpm --filter @ebox/registry lint:migrations
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  isNonTransactional,
  MIGRATIONS_DIR,
  migrationNames,
  NO_TRANSACTION_MARKER,
  upSection,
} from './src/db/migrate.ts'

export interface Finding {
  file: string
  line: number
  rule: string
  message: string
}
interface LintConfig {
  pgVersion: string
  excludedRules: { rule: string; reason: string }[]
  allowed: { file: string; rules: string[]; reason: string }[]
}

const packageDir = new URL('.', import.meta.url).pathname
export const LINT_CONFIG = join(packageDir, 'migration-lint.json')
const squawk = createRequire(import.meta.url).resolve('squawk-cli/js/bin/squawk')

export function readLintConfig(file = LINT_CONFIG): LintConfig {
  const config = JSON.parse(readFileSync(file, 'utf8')) as LintConfig
  for (const entry of [...config.excludedRules, ...config.allowed]) {
    if (!entry.reason?.trim()) throw new Error(`${file}: every exception needs a reason`)
  }
  return config
}

/** squawk's findings for one migration file, not filtered. */
export function squawkFindings(path: string, pgVersion: string): Finding[] {
  const content = readFileSync(path, 'utf8')
  const file = path.split('/').at(-1)!
  const args = ['--reporter', 'json', '--pg-version', pgVersion, '--stdin-filepath', file]
  if (!isNonTransactional(content)) args.push('--assume-in-transaction')
  let output: string
  try {
    output = execFileSync(process.execPath, [squawk, ...args], {
      input: upSection(content),
      encoding: 'utf8',
    })
  } catch (error) {
    // squawk exits 1 when it finds something; the JSON report is on stdout all the same.
    output = (error as { stdout?: string }).stdout ?? ''
    if (!output.trim()) throw error
  }
  const report = JSON.parse(output || '[]') as {
    file: string
    line: number
    rule_name: string
    message: string
  }[]
  return [
    ...report.map((v) => ({ file, line: v.line + 1, rule: v.rule_name, message: v.message })),
    ...concurrentlyInTransaction(file, content),
    ...unexplainedIgnores(file, content),
  ]
}

/** An inline `-- squawk-ignore` is an exception like those of migration-lint.json: the comment line above says why. */
function unexplainedIgnores(file: string, content: string): Finding[] {
  const lines = upSection(content).split('\n')
  return lines.flatMap((text, index) => {
    if (!/^\s*--\s*squawk-ignore\b/.test(text)) return []
    const above = lines[index - 1] ?? ''
    const reason = /^\s*--/.test(above) && !/squawk-ignore|up\s+migration|migrate:/i.test(above)
    if (reason) return []
    return [
      {
        file,
        line: index + 1,
        rule: 'unexplained-ignore',
        message: 'a squawk-ignore comment needs the reason on the comment line above it',
      },
    ]
  })
}

/** squawk assumes the transaction but does not flag CONCURRENTLY in it; PostgreSQL refuses it at run time. */
function concurrentlyInTransaction(file: string, content: string): Finding[] {
  if (isNonTransactional(content)) return []
  return upSection(content)
    .split('\n')
    .flatMap((text, index) =>
      /^\s*(CREATE|DROP|REINDEX)\b.*\bCONCURRENTLY\b/i.test(text)
        ? [
            {
              file,
              line: index + 1,
              rule: 'concurrently-in-transaction',
              message: `CONCURRENTLY cannot run in a transaction: start the file with ${NO_TRANSACTION_MARKER}`,
            },
          ]
        : [],
    )
}

/** Findings in `files` (paths) that no exception of `config` covers. */
export function lintMigrations(files: string[], config = readLintConfig()): Finding[] {
  const excluded = new Set(config.excludedRules.map((entry) => entry.rule))
  const allowed = (finding: Finding) =>
    excluded.has(finding.rule) ||
    config.allowed.some((entry) => entry.file === finding.file && entry.rules.includes(finding.rule))
  return files
    .flatMap((path) => squawkFindings(path, config.pgVersion))
    .filter((finding) => !allowed(finding))
}

export function migrationFiles(dir = MIGRATIONS_DIR): string[] {
  return migrationNames(dir).map((name) => join(dir, `${name}.sql`))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = migrationFiles()
  const findings = lintMigrations(files)
  for (const f of findings) console.error(`${f.file}:${f.line}: ${f.rule}: ${f.message}`)
  console.log(
    `squawk: ${files.length} migrations, ${findings.length} findings not allowed in migration-lint.json`,
  )
  process.exitCode = findings.length > 0 ? 1 : 0
}
