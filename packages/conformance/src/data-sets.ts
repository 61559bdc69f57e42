import { readFileSync } from 'node:fs'
import { DEMO } from '@ebox/demo-data'
import type { DataSetExpectations } from './framework.ts'

/**
 * The known data set of the certification profile: `demo` (this project's demo data, what
 * /certification/resetDataSet restores), `none`, or a JSON file of DataSetExpectations.
 */
export async function resolveDataSet(name: string): Promise<DataSetExpectations | undefined> {
  if (name === 'none') return undefined
  if (name === 'demo') return demoExpectations()
  try {
    const parsed = JSON.parse(readFileSync(name, 'utf8')) as DataSetExpectations
    return { ...parsed, name: parsed.name ?? name }
  } catch (error) {
    throw new Error(
      `--data-set: ${name} is neither demo, none nor a readable JSON file (${(error as Error).message})`,
    )
  }
}

/** What the demo data set (`@ebox/demo-data`, restored by /certification/resetDataSet) looks like. */
export function demoExpectations(): DataSetExpectations {
  const { counts, messages, search } = DEMO
  const example = search.example
  return {
    name: '@ebox/demo-data',
    listTotal: counts.listed,
    // The federation's test scenarios want at least 11 messages in GENERAL (pagination).
    minimumListTotal: 11,
    mainPdf: { messageId: messages.mainPdf, attachmentId: DEMO.mainAttachmentId },
    filterTotals: [
      ...Object.entries(counts.listedPerPartition).map(([partitionId, totalItems]) => ({
        query: { partitionId },
        totalItems,
        why: `messages of partition ${partitionId}`,
      })),
      { query: { visible: false }, totalItems: counts.hidden, why: 'hidden messages' },
      { query: { registeredMail: true }, totalItems: counts.registered, why: 'registered messages' },
      { query: { readStatus: false }, totalItems: counts.unreadListed, why: 'unread messages' },
    ],
    searches: [
      ...example.found.map((q) => ({
        q,
        qlang: example.qlang,
        why: `§5.1 worked example: "${q}" is found`,
        includes: [example.messageId],
      })),
      ...example.notFound.map((q) => ({
        q,
        qlang: example.qlang,
        why: `§5.1 worked example: "${q}" is not found`,
        excludes: [example.messageId],
      })),
      ...search.cases.map((known) => ({
        q: known.q,
        qlang: known.qlang,
        why: known.why,
        exactly: known.messageIds,
      })),
    ],
    otherEboxListTotal: counts.secondEbox,
  }
}
