import { readFile } from 'node:fs/promises'
import { registerContractFormats, TestDataFile } from '@ebox/contract'
import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { DEMO } from './facts.ts'
import { DEMO_TEST_DATA_FILE, demoTestDataFileText } from './test-data-file.ts'

registerContractFormats()

describe('the demo test data file', () => {
  it('is the checked-in test-data.json (regenerate: pnpm --filter @ebox/demo-data test-data:write)', async () => {
    expect(await readFile(DEMO_TEST_DATA_FILE, 'utf8')).toBe(demoTestDataFileText())
  })

  it('is a valid TestDataFile holding the demo e-Boxes', () => {
    const file = JSON.parse(demoTestDataFileText())
    expect([...Value.Errors(TestDataFile, file)].map((e) => `${e.path}: ${e.message}`)).toEqual([])
    expect(file.eboxes.map((ebox: { id: string }) => ebox.id)).toEqual([
      DEMO.enterprise,
      DEMO.secondEnterprise,
      DEMO.citizenSsin,
    ])
    expect(file.messages).toHaveLength(DEMO.counts.total + DEMO.counts.secondEbox + DEMO.counts.citizenEbox)
  })
})
