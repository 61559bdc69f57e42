import { fileURLToPath } from 'node:url'
import { TEST_DATA_FORMAT, type TestDataFile } from '@ebox/contract'
import { buildDemoDataSet } from './dataset.ts'
import type { DemoDataSet, DemoMessage } from './types.ts'

/**
 * The demo data set as a test data file (`TestDataFile`, @ebox/contract): the registry's default
 * CERTIFICATION_TEST_DATA_FILE. Checked in as `test-data.json` (src/ and dist/ both sit one level below it);
 * `pnpm --filter @ebox/demo-data test-data:write` writes it again, and src/test-data-file.test.ts fails when it
 * differs from the set.
 */
export const DEMO_TEST_DATA_FILE = fileURLToPath(new URL('../test-data.json', import.meta.url))

/** The instant the file's dates are written for (fixed: the file must not change with the day it is written). */
export const DEMO_TEST_DATA_ANCHOR = new Date('2026-01-05T09:00:00Z')

const iso = (date: Date | undefined) => date?.toISOString()

function fileMessage(message: DemoMessage): TestDataFile['messages'][number] {
  const { publishedAt, expiresAt, readAt, paymentData, attachments, ...rest } = message
  return {
    ...rest,
    publishedAt: publishedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    ...(readAt ? { readAt: readAt.toISOString() } : {}),
    ...(paymentData ? { paymentData: { ...paymentData, dueDate: paymentData.dueDate.toISOString() } } : {}),
    attachments: attachments.map(({ content, ...attachment }) => ({
      ...attachment,
      mediaType: attachment.mediaType as TestDataFile['messages'][number]['attachments'][number]['mediaType'],
      contentBase64: content.toString('base64'),
    })),
  }
}

export function toTestDataFile(set: DemoDataSet): TestDataFile {
  return {
    format: TEST_DATA_FORMAT,
    description:
      'The demo data set (@ebox/demo-data): three e-Boxes modelled on the consultation test scenarios.',
    datesRelativeTo: set.now.toISOString(),
    referenceData: set.referenceData,
    eboxes: set.eboxes.map(({ lastConsultationAt, ...ebox }) =>
      ebox.eboxType === 'enterprise'
        ? {
            eboxType: 'enterprise',
            id: ebox.id,
            partitions: ebox.partitions,
            lastConsultationAt: iso(lastConsultationAt),
          }
        : { eboxType: 'citizen', id: ebox.id, lastConsultationAt: iso(lastConsultationAt) },
    ),
    messages: set.messages.map(fileMessage),
  }
}

/** The checked-in file's text: 2-space JSON, final newline. */
export function demoTestDataFileText(): string {
  return `${JSON.stringify(toTestDataFile(buildDemoDataSet(DEMO_TEST_DATA_ANCHOR)), null, 2)}\n`
}
