/**
 * Writes the demo data set as the default certification test data file (`test-data.json`, checked in).
 *   pnpm --filter @ebox/demo-data test-data:write
 */
import { writeFile } from 'node:fs/promises'
import { DEMO_TEST_DATA_FILE, demoTestDataFileText } from './src/test-data-file.ts'

await writeFile(DEMO_TEST_DATA_FILE, demoTestDataFileText())
console.log(`wrote ${DEMO_TEST_DATA_FILE}`)
