import { readFile } from 'node:fs/promises'
import {
  type EboxIdentity,
  type ReferenceDataImport,
  registerContractFormats,
  TestDataFile,
  type TestDataMessage,
} from '@ebox/contract'
import type { DemoEbox, DemoMessage } from '@ebox/demo-data'
import { Value } from '@sinclair/typebox/value'
import { parseReferenceDataImport } from '../repositories/reference-data/import.ts'

/**
 * The certification test data file (CERTIFICATION_TEST_DATA_FILE, format `TestDataFile` in @ebox/contract), read
 * and checked once at start: schema, then what a schema cannot say (unique ids, partitions, main contents), and
 * that it names only the configured test e-Boxes, so no file can ever make a reset write anywhere else. Any
 * problem stops the service with the file's name and the first problem found.
 */

export class TestDataFileError extends Error {
  constructor(file: string, problem: string) {
    super(`CERTIFICATION_TEST_DATA_FILE ${file}: ${problem}`)
    this.name = 'TestDataFileError'
  }
}

/** The file's content, decoded, with its dates as written (loadTestData moves them to the time of a reset). */
export interface TestData {
  file: string
  description: string | undefined
  datesRelativeTo: Date
  referenceData: ReferenceDataImport | undefined
  eboxes: DemoEbox[]
  messages: DemoMessage[]
}

registerContractFormats()

export async function readTestDataFile(file: string, testEboxes: readonly EboxIdentity[]): Promise<TestData> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new TestDataFileError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new TestDataFileError(file, `is not JSON (${(error as Error).message})`)
  }
  return parseTestData(file, json, testEboxes)
}

export function parseTestData(file: string, json: unknown, testEboxes: readonly EboxIdentity[]): TestData {
  const fail = (problem: string): never => {
    throw new TestDataFileError(file, problem)
  }
  const error = Value.Errors(TestDataFile, json).First()
  if (error) fail(`${error.path || '/'}: ${error.message} (format: TestDataFile, docs/contract-decisions.md)`)
  const data = json as TestDataFile
  let referenceData: ReferenceDataImport | undefined
  try {
    referenceData = data.referenceData && parseReferenceDataImport(data.referenceData)
  } catch (problem) {
    fail(`/referenceData: ${(problem as Error).message}`)
  }

  const eboxes = new Map<string, DemoEbox>()
  for (const [index, ebox] of data.eboxes.entries()) {
    const where = `/eboxes/${index}`
    if (!testEboxes.some((test) => test.eboxType === ebox.eboxType && test.id === ebox.id)) {
      fail(`${where}: ${ebox.eboxType} e-Box ${ebox.id} is not a test e-Box (CERTIFICATION_TEST_EBOXES)`)
    }
    if (eboxes.has(ebox.id)) fail(`${where}: e-Box ${ebox.id} appears twice`)
    const partitions = ebox.partitions ?? []
    if (ebox.eboxType === 'enterprise' && !partitions.includes('GENERAL'))
      fail(`${where}/partitions: GENERAL is missing`)
    if (new Set(partitions).size !== partitions.length) fail(`${where}/partitions: a partition appears twice`)
    eboxes.set(ebox.id, {
      eboxType: ebox.eboxType,
      id: ebox.id,
      partitions,
      ...(ebox.lastConsultationAt ? { lastConsultationAt: new Date(ebox.lastConsultationAt) } : {}),
    })
  }

  const messageIds = new Set<string>()
  const messages = data.messages.map((message, index) => {
    const where = `/messages/${index}`
    const id = message.messageId.toLowerCase()
    if (messageIds.has(id)) fail(`${where}/messageId: ${message.messageId} appears twice`)
    messageIds.add(id)
    const recipientId =
      message.recipient.eboxType === 'enterprise'
        ? message.recipient.enterpriseNumber
        : message.recipient.ssin
    const ebox = eboxes.get(recipientId)
    if (!ebox || ebox.eboxType !== message.recipient.eboxType)
      fail(`${where}/recipient: e-Box ${recipientId} is not one of the file's eboxes`)
    if (ebox?.eboxType === 'citizen' && message.partitionId !== undefined)
      fail(`${where}/partitionId: a citizen e-Box has no partitions`)
    const partition = message.partitionId ?? 'GENERAL'
    if (ebox?.eboxType === 'enterprise' && !ebox.partitions.includes(partition))
      fail(`${where}/partitionId: ${partition} is not a partition of e-Box ${recipientId}`)
    return toDemoMessage(message, where, fail)
  })

  return {
    file,
    description: data.description,
    datesRelativeTo: new Date(data.datesRelativeTo),
    referenceData,
    eboxes: [...eboxes.values()],
    messages,
  }
}

function toDemoMessage(
  message: TestDataMessage,
  where: string,
  fail: (problem: string) => never,
): DemoMessage {
  const publishedAt = new Date(message.publishedAt)
  const expiresAt = new Date(message.expiresAt)
  if (expiresAt <= publishedAt) fail(`${where}/expiresAt: not after publishedAt`)
  if (message.isBodyMainContent && !message.bodyContent)
    fail(`${where}/bodyContent: required when isBodyMainContent is true`)
  const attachmentIds = message.attachments.map((attachment) => attachment.attachmentId)
  if (new Set(attachmentIds).size !== attachmentIds.length)
    fail(`${where}/attachments: an attachmentId appears twice`)
  if (message.attachments.filter((attachment) => attachment.isMainContent).length > 1)
    fail(`${where}/attachments: more than one main content`)
  const { readAt, paymentData, attachments, ...rest } = message
  return {
    ...rest,
    messageId: message.messageId.toLowerCase(),
    publishedAt,
    expiresAt,
    ...(readAt ? { readAt: new Date(readAt) } : {}),
    ...(paymentData ? { paymentData: { ...paymentData, dueDate: new Date(paymentData.dueDate) } } : {}),
    attachments: attachments.map(({ contentBase64, ...attachment }, index) => {
      const content = Buffer.from(contentBase64, 'base64')
      if (content.toString('base64') !== contentBase64)
        fail(`${where}/attachments/${index}/contentBase64: not canonical base64`)
      return { ...attachment, content }
    }),
  }
}
