import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sweepStaleStagingFiles } from '../src/services/publication/staging.ts'
import { eventually } from './support/publication.ts'
import { startTestRegistry, type TestRegistry } from './support/registry.ts'

/**
 * A registry killed mid-upload (SIGKILL, OOM) leaves its staged parts behind; the next start removes those no
 * live request can own (older than twice HTTP_REQUEST_TIMEOUT_MS) and leaves the rest: the directory may be
 * shared with another live registry.
 */
const HOUR_MS = 3_600_000
let registry: TestRegistry | undefined
afterAll(() => registry?.close())

function stagingDirWith(files: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ebox-staging-sweep-'))
  for (const [name, ageMs] of Object.entries(files)) {
    const path = join(dir, name)
    writeFileSync(path, 'partial upload')
    const at = new Date(Date.now() - ageMs)
    utimesSync(path, at, at)
  }
  return dir
}

describe('staging files of interrupted uploads', () => {
  it('are removed at start when stale; a live upload of another process and other files stay', async () => {
    const dir = stagingDirWith({
      'killed-mid-upload.part': 2 * HOUR_MS,
      'live-elsewhere.part': 1_000,
      'not-ours.txt': 2 * HOUR_MS,
    })
    registry = await startTestRegistry({ PUBLICATION_STAGING_DIR: dir, HTTP_REQUEST_TIMEOUT_MS: '300000' })
    await eventually(async () => !readdirSync(dir).includes('killed-mid-upload.part'))
    expect(readdirSync(dir).sort()).toEqual(['live-elsewhere.part', 'not-ours.txt'])
  })

  it('a file becomes stale once its last write is older than the bound', async () => {
    const dir = stagingDirWith({ 'upload.part': 0 })
    expect(await sweepStaleStagingFiles(dir, 60_000)).toBe(0)
    expect(await sweepStaleStagingFiles(dir, 60_000, Date.now() + 61_000)).toBe(1)
    expect(readdirSync(dir)).toEqual([])
  })
})
