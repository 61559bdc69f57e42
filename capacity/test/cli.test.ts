import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  capacityDir,
  latestRuns,
  readPlatform,
  readSummaries,
  readWorkload,
  repositoryRoot,
  workloadNames,
} from '../src/files.ts'
import { report } from '../src/table.ts'
import { unitCosts } from '../src/unit-costs.ts'

function capacity(...args: string[]) {
  return spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts', ...args], {
    cwd: capacityDir,
    encoding: 'utf8',
  })
}

describe('committed files', () => {
  it('every benchmark summary, workload and platform is valid, and a full run and a sized run exist', () => {
    expect(() => latestRuns(readSummaries())).not.toThrow()
    expect(workloadNames()).toEqual(['medium', 'national', 'quickstart'])
    for (const name of workloadNames()) expect(() => readPlatform(readWorkload(name).platform)).not.toThrow()
  })
})

describe('docs/capacity.md', () => {
  it('holds the current table of every shipped workload', () => {
    const doc = readFileSync(join(repositoryRoot, 'docs', 'capacity.md'), 'utf8')
    const { cpuRun, storageRun } = latestRuns(readSummaries())
    const costs = unitCosts(cpuRun, storageRun)
    for (const name of workloadNames()) {
      const workload = readWorkload(name)
      expect(doc).toContain(report(workload, costs, readPlatform(workload.platform)))
    }
  })
})

describe('pnpm capacity', () => {
  it('prints the sizing and headroom tables of a workload from the committed summaries', () => {
    const run = capacity('--workload', 'national')
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout).toContain('### national: 1,200,000 enterprises')
    expect(run.stdout).toMatch(/\| API pods \(CPU request, memory request \/ limit\) \| \d+ at peak/)
    expect(run.stdout).toMatch(/First bottleneck: \*\*[^*]+\*\* \(headroom ×[\d.,]+\)/)
  })

  it('refuses an invalid workload file with the path of each problem', () => {
    const file = join(tmpdir(), `capacity-invalid-${process.pid}.yaml`)
    writeFileSync(file, 'name: broken\nenterprises: -1\n')
    const run = capacity('--workload', file)
    expect(run.status).toBe(1)
    expect(run.stderr).toContain('/enterprises: Expected integer to be greater or equal to 0')
    expect(run.stderr).toContain('/publication: Expected required property')
  })
})
