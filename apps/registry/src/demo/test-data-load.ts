import type { EboxIdentity } from '@ebox/contract'
import type { DemoEbox, DemoMessage } from '@ebox/demo-data'
import type pg from 'pg'
import { inTransaction } from '../db/pool.ts'
import { importReferenceData } from '../repositories/reference-data/import.ts'
import { emptyEbox, inPublicationOrder, insertDemoMessage, RESET_LOCK, writeEbox } from './seed.ts'
import type { TestData } from './test-data-file.ts'

/**
 * Replaces the data of `targets` (test e-Boxes) with what the test data file holds for them: messages (with
 * their content, in PostgreSQL), pending events, partitions and the e-Box row; the file's reference data, if it
 * has any, is created or replaced. Every date moves by (now − the file's `datesRelativeTo`), whole seconds. One
 * transaction, the caller's audit record included: afterwards each target holds exactly the file's data for it,
 * or nothing changed. A target the file does not name is left empty.
 */
export async function loadTestData(
  pool: pg.Pool,
  data: TestData,
  targets: readonly EboxIdentity[],
  at: Date,
  audit: (client: pg.PoolClient, messages: number) => Promise<void>,
): Promise<{ messages: number; now: Date }> {
  const now = new Date(Math.floor(at.getTime() / 1000) * 1000)
  const shift = (date: Date) => new Date(date.getTime() + now.getTime() - data.datesRelativeTo.getTime())
  const isTarget = (eboxType: string, id: string) =>
    targets.some((target) => target.eboxType === eboxType && target.id === id)
  const messages = data.messages
    .filter(({ recipient }) =>
      isTarget(
        recipient.eboxType,
        recipient.eboxType === 'enterprise' ? recipient.enterpriseNumber : recipient.ssin,
      ),
    )
    .map((message) => shiftMessage(message, shift))
  await inTransaction(pool, async (client) => {
    await client.query(RESET_LOCK)
    if (data.referenceData) await importReferenceData(client, data.referenceData)
    for (const target of targets) {
      await emptyEbox(client, target.eboxType, target.id)
      const ebox = data.eboxes.find((e) => e.eboxType === target.eboxType && e.id === target.id)
      if (ebox) await writeEbox(client, shiftEbox(ebox, shift))
      else await forgetEbox(client, target)
    }
    for (const message of inPublicationOrder(messages)) await insertDemoMessage(client, message)
    await audit(client, messages.length)
  })
  return { messages: messages.length, now }
}

/** A test e-Box the file does not name holds nothing: no partitions, no record of a consultation. */
async function forgetEbox(client: pg.PoolClient, ebox: EboxIdentity): Promise<void> {
  await client.query('DELETE FROM eboxes WHERE recipient_type = $1 AND recipient_id = $2', [
    ebox.eboxType,
    ebox.id,
  ])
  if (ebox.eboxType === 'enterprise')
    await client.query('DELETE FROM partitions WHERE enterprise_number = $1', [ebox.id])
}

function shiftEbox(ebox: DemoEbox, shift: (date: Date) => Date): DemoEbox {
  return ebox.lastConsultationAt ? { ...ebox, lastConsultationAt: shift(ebox.lastConsultationAt) } : ebox
}

function shiftMessage(message: DemoMessage, shift: (date: Date) => Date): DemoMessage {
  return {
    ...message,
    publishedAt: shift(message.publishedAt),
    expiresAt: shift(message.expiresAt),
    ...(message.readAt ? { readAt: shift(message.readAt) } : {}),
    ...(message.paymentData
      ? { paymentData: { ...message.paymentData, dueDate: shift(message.paymentData.dueDate) } }
      : {}),
  }
}
