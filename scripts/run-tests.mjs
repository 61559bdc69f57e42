#!/usr/bin/env node
// Runs every package's tests through turbo, then sums the vitest JSON reports into the one closing line CI
// reads: `N passed, N failed, N skipped`. Exits non-zero on a failure, a missing report or zero tests run.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const packageDirs = ['apps', 'packages', '.']
  .flatMap((group) =>
    group === '.'
      ? ['infra', 'bench', 'capacity', 'chaos'].map((name) => join(root, name))
      : existsSync(join(root, group))
        ? readdirSync(join(root, group)).map((name) => join(root, group, name))
        : [],
  )
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.test)

for (const dir of packageDirs) rmSync(join(dir, 'reports', 'vitest.json'), { force: true })

const run = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=2', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
})

let passed = 0
let failed = 0
let skipped = 0
const missing = []
for (const dir of packageDirs) {
  const report = join(dir, 'reports', 'vitest.json')
  if (!existsSync(report)) {
    missing.push(dir.slice(root.length))
    continue
  }
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed += json.numPassedTests
  failed += json.numFailedTests
  skipped += json.numPendingTests + json.numTodoTests
  // A file that failed without a failed test (it did not load, or a beforeAll hook failed or timed out and its
  // tests were skipped) counts as one failure: such a run must never read as green.
  failed += json.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
  ).length
}

if (missing.length > 0 && process.argv.length <= 2)
  console.error(`no test report from: ${missing.join(', ')}`)
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
const ok = run.status === 0 && failed === 0 && passed > 0 && (missing.length === 0 || process.argv.length > 2)
process.exit(ok ? 0 : 1)
