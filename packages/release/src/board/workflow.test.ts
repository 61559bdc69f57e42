import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { lintFiles, type Workflow } from '../workflow-lint.ts'

const root = new URL('../../../../', import.meta.url).pathname
const read = (file: string): string => readFileSync(`${root}${file}`, 'utf8')
const BOARD = '.github/workflows/release-board.yml'

type Triggered = Workflow & {
  name?: string
  on?: { workflow_run?: { workflows?: string[]; types?: string[] } }
}

describe('the release board workflow', () => {
  it('runs after every workflow that writes to the ledger', () => {
    const writers = lintFiles(root)
      .filter((file) => file.includes('workflows') && /ebox-release\.mjs (settle|reject)\b/.test(read(file)))
      .map((file) => (parse(read(file)) as Triggered).name)
    expect(writers.sort()).toEqual(['Deploy ACC', 'Promote to PRD', 'Reject a digest'])
    const trigger = (parse(read(BOARD)) as Triggered).on?.workflow_run
    expect(trigger?.types).toEqual(['completed'])
    expect([...(trigger?.workflows ?? [])].sort()).toEqual(writers.sort())
  })

  it('renders the board, publishes it as one unzipped HTML file and links it from the summary', () => {
    const steps = Object.values((parse(read(BOARD)) as Workflow).jobs ?? {}).flatMap((job) => job.steps ?? [])
    const render = steps.findIndex((step) =>
      /ebox-release\.mjs board --out "\$RUNNER_TEMP\/board"/.test(step.run ?? ''),
    )
    const upload = steps.findIndex((step) => step.id === 'upload')
    const link = steps.findIndex((step) => /GITHUB_STEP_SUMMARY/.test(step.run ?? ''))
    expect(render).toBeGreaterThanOrEqual(0)
    expect(upload).toBeGreaterThan(render)
    expect(steps[upload]?.uses).toMatch(/^actions\/upload-artifact@[0-9a-f]{40}$/)
    expect(steps[upload]?.with).toMatchObject({ archive: false })
    expect(link).toBeGreaterThan(upload)
    const env = (steps[link] as { env?: Record<string, string> }).env
    expect(env?.BOARD_URL).toBe(`$${'{{'} steps.upload.outputs.artifact-url }}`)
  })
})
