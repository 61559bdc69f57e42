#!/usr/bin/env node
// Runs the built CLI (dist/) when present. Otherwise runs the TypeScript sources through tsx in a child node
// with the `source` export condition, so that workspace packages resolve to their sources too (no build needed).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const built = new URL('../dist/cli.js', import.meta.url)
if (existsSync(built)) {
  const cli = await import(built.href)
  process.exitCode = await cli.runCli(process.argv.slice(2))
} else {
  const tsx = import.meta.resolve('tsx')
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url))
  const child = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', tsx, main, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  )
  process.exitCode = child.status ?? 1
}
