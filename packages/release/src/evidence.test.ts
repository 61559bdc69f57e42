import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildEvidence, evidencePath, parseChangeset, readChangesets } from './evidence.ts'
import { digestOf, evidenceFor } from './test-support.ts'

describe('evidence', () => {
  it('is stored per digest', () => {
    expect(evidencePath(digestOf('f'))).toBe(`evidence/${'f'.repeat(64)}/evidence.json`)
  })

  it('is validated when built', () => {
    const { schema: _schema, ...fields } = evidenceFor(digestOf('a'))
    expect(buildEvidence(fields).schema).toBe('ebox.acc-evidence/v2')
    expect(() => buildEvidence({ ...fields, commit: 'HEAD' })).toThrow(/ACC evidence is not valid: \/commit/)
    expect(() => buildEvidence({ ...fields, conformance: [] })).toThrow(/conformance/)
  })
})

describe('changesets', () => {
  it('are read with their bumps and summary', () => {
    expect(parseChangeset('brave-fox', "---\n'@ebox/registry': minor\n---\n\nAdds exports.\n")).toEqual({
      id: 'brave-fox',
      releases: { '@ebox/registry': 'minor' },
      summary: 'Adds exports.',
    })
    expect(() => parseChangeset('x', 'no front matter')).toThrow(/no front matter/)
  })

  it('pending in a checkout are listed, without the README', () => {
    const dir = mkdtempSync(join(tmpdir(), 'changesets-'))
    mkdirSync(join(dir, 'sub'))
    writeFileSync(join(dir, 'README.md'), '# Changesets')
    writeFileSync(join(dir, 'config.json'), '{}')
    writeFileSync(join(dir, 'b.md'), "---\n'@ebox/release': patch\n---\nB")
    writeFileSync(join(dir, 'a.md'), "---\n'@ebox/release': minor\n---\nA")
    expect(readChangesets(dir).map((c) => c.id)).toEqual(['a', 'b'])
  })
})
