import { createHash } from 'node:crypto'
import { inflateSync } from 'node:zlib'
import {
  isValidEnterpriseNumber,
  isValidSsin,
  type Language,
  messageSearchText,
  normaliseForSearch,
  ReferenceDataImport,
  referenceSearchText,
  SEARCH_FIELD_SEPARATOR,
} from '@ebox/contract'
import { Value } from '@sinclair/typebox/value'
import { describe, expect, it } from 'vitest'
import { buildDemoDataSet, DEMO } from './index.ts'
import type { DemoDataSet, DemoMessage } from './types.ts'

const DAY = 86_400_000
const NOWS = [new Date('2026-03-29T00:30:00Z'), new Date('2026-11-25T15:20:00.750Z'), new Date()]

const inMain = (m: DemoMessage) =>
  m.recipient.eboxType === 'enterprise' && m.recipient.enterpriseNumber === DEMO.enterprise

/** The brief's search semantics, in memory: the reference the registry's SQL must agree with. */
function searchMatches(set: DemoDataSet, message: DemoMessage, q: string, qlang: Language): boolean {
  const needle = normaliseForSearch(q)
  const fields = (text: string) => text.split(SEARCH_FIELD_SEPARATOR).some((field) => field.includes(needle))
  const ref = set.referenceData
  const org = ref.senderOrganizations?.find((o) => o.organizationId === message.sender.enterpriseNumber)
  const app = ref.senderApplications?.find((a) => a.applicationId === message.senderApplicationId)
  const type = ref.messageTypes?.find((t) => t.messageTypeId === message.messageTypeId)
  return (
    fields(messageSearchText(message)[qlang]) ||
    fields(referenceSearchText([org?.organizationShortName, org?.organizationLongName])[qlang]) ||
    fields(referenceSearchText([app?.applicationName, app?.applicationDescription])[qlang]) ||
    fields(referenceSearchText([type?.messageTypeName, type?.messageTypeDescription])[qlang])
  )
}

describe.each(NOWS)('the demo data set built at %s', (at) => {
  const set = buildDemoDataSet(at)
  const now = set.now.getTime()
  const main = set.messages.filter(inMain)
  const listed = main.filter((m) => m.expiresAt.getTime() > now)

  it('is relative to now, in whole seconds', () => {
    expect(now % 1000).toBe(0)
    for (const m of set.messages) {
      expect(m.publishedAt.getTime() % 1000).toBe(0)
      expect(m.publishedAt.getTime()).toBeLessThan(now)
      if (m.readAt) expect(m.readAt.getTime()).toBeGreaterThanOrEqual(m.publishedAt.getTime())
      if (m.readAt) expect(m.readAt.getTime()).toBeLessThan(now)
    }
  })

  it('matches the counts in DEMO', () => {
    expect(main).toHaveLength(DEMO.counts.total)
    expect(main.length - listed.length).toBe(DEMO.counts.expired)
    expect(listed).toHaveLength(DEMO.counts.listed)
    expect(listed.filter((m) => !m.visible)).toHaveLength(DEMO.counts.hidden)
    expect(listed.filter((m) => m.isRegisteredMail)).toHaveLength(DEMO.counts.registered)
    expect(listed.filter((m) => !m.readAt)).toHaveLength(DEMO.counts.unreadListed)
    const soon = listed.filter((m) => !m.readAt && m.expiresAt.getTime() <= now + 15 * DAY)
    expect(soon.map((m) => m.messageId)).toEqual([DEMO.messages.unreadExpiringSoon])
    const perPartition: Record<string, number> = {}
    for (const m of listed) perPartition[m.partitionId!] = (perPartition[m.partitionId!] ?? 0) + 1
    expect(perPartition).toEqual(DEMO.counts.listedPerPartition)
    const of = (id: string) =>
      set.messages.filter(
        (m) =>
          (m.recipient.eboxType === 'enterprise' ? m.recipient.enterpriseNumber : m.recipient.ssin) === id,
      )
    expect(of(DEMO.secondEnterprise)).toHaveLength(DEMO.counts.secondEbox)
    expect(of(DEMO.citizenSsin)).toHaveLength(DEMO.counts.citizenEbox)
  })

  it('gives every scenario message its role', () => {
    const byId = new Map(set.messages.map((m) => [m.messageId, m]))
    const get = (id: string) => byId.get(id)!
    const d = DEMO.messages
    expect(get(d.mainPdf).attachments).toMatchObject([
      { attachmentId: '1', isMainContent: true, mediaType: 'application/pdf' },
    ])
    expect(get(d.spinach).subject.fr).toContain('épinards and François')
    expect(get(d.twoDocuments).attachments.map((a) => [a.attachmentId, a.isMainContent])).toEqual([
      ['1', true],
      ['2', false],
    ])
    expect(get(d.bodyMainContent)).toMatchObject({ isBodyMainContent: true })
    expect(get(d.bodyMainContent).attachments.every((a) => !a.isMainContent)).toBe(true)
    expect(get(d.sameDate[0]).publishedAt).toEqual(get(d.sameDate[1]).publishedAt)
    expect(get(d.hidden).visible).toBe(false)
    expect(get(d.registeredUnread)).toMatchObject({ isRegisteredMail: true })
    expect(get(d.registeredUnread).readAt).toBeUndefined()
    expect(get(d.businessData).businessDataList.length).toBeGreaterThan(0)
    expect(get(d.paymentData).paymentData).toBeDefined()
    expect(get(d.forTheAttentionOf).forTheAttentionOf?.label).toContain('Dupont')
    expect(get(d.test).subject.fr).toContain('test')
    expect(get(d.expired).expiresAt.getTime()).toBeLessThan(now)
    expect(get(d.sentFromPartitionB).sender.partition).toBe(DEMO.partitions.b)
    expect(get(d.signed).attachments[0]?.isAttachmentSigned).toBe(true)
    expect(get(d.inPartitionB).partitionId).toBe(DEMO.partitions.b)
    expect(get(d.inNoAccessPartition).partitionId).toBe(DEMO.partitions.noAccess)
    for (const id of d.toMoveFromGeneral) expect(get(id).partitionId).toBe('GENERAL')
    for (const id of d.toMoveFromToDelete) expect(get(id).partitionId).toBe(DEMO.partitions.toDelete)
    expect(listed.filter((m) => m.partitionId === 'GENERAL').length).toBeGreaterThanOrEqual(11)
    for (const id of Object.values(DEMO.otherMessages)) expect(byId.has(id)).toBe(true)
  })

  it('has exactly one main content per message, consistent with its body', () => {
    for (const m of set.messages) {
      const mains = m.attachments.filter((a) => a.isMainContent).length + (m.isBodyMainContent ? 1 : 0)
      expect(mains, m.messageId).toBe(1)
      if (m.isBodyMainContent) expect(m.bodyContent).toBeDefined()
      expect(new Set(m.attachments.map((a) => a.attachmentId)).size).toBe(m.attachments.length)
    }
  })

  it('references only defined reference data, with valid identifiers', () => {
    expect(Value.Errors(ReferenceDataImport, set.referenceData).First()).toBeUndefined()
    const ref = set.referenceData
    for (const o of ref.senderOrganizations ?? [])
      expect(isValidEnterpriseNumber(o.organizationId)).toBe(true)
    for (const m of set.messages) {
      const app = ref.senderApplications?.find((a) => a.applicationId === m.senderApplicationId)
      expect(app?.senderOrganizationId).toBe(m.sender.enterpriseNumber)
      const configured = app?.messageTypes?.find((t) => t.messageTypeId === m.messageTypeId)
      expect(configured?.recipientTypes).toContain(m.recipient.eboxType)
      if (m.forTheAttentionOf?.ssin) expect(isValidSsin(m.forTheAttentionOf.ssin)).toBe(true)
    }
    expect(isValidEnterpriseNumber(DEMO.enterprise) && isValidEnterpriseNumber(DEMO.secondEnterprise)).toBe(
      true,
    )
    expect(isValidSsin(DEMO.citizenSsin)).toBe(true)
  })

  it('agrees with every search fact in DEMO', () => {
    const example = DEMO.search.example
    const hits = (q: string, qlang: Language) =>
      listed.filter((m) => searchMatches(set, m, q, qlang)).map((m) => m.messageId)
    for (const q of example.found) expect(hits(q, example.qlang), q).toContain(example.messageId)
    for (const q of example.notFound) expect(hits(q, example.qlang), q).toEqual([])
    for (const c of DEMO.search.cases)
      expect(hits(c.q, c.qlang).sort(), c.why).toEqual([...c.messageIds].sort())
  })
})

describe('generated documents', () => {
  const set = buildDemoDataSet(new Date('2026-01-01T00:00:00Z'))

  it('are real PDFs whose cross-reference table points at each object', () => {
    const pdfs = set.messages.flatMap((m) => m.attachments).filter((a) => a.mediaType === 'application/pdf')
    expect(pdfs.length).toBeGreaterThan(30)
    for (const pdf of pdfs) {
      const text = pdf.content.toString('latin1')
      expect(text.startsWith('%PDF-1.4')).toBe(true)
      expect(text.trimEnd().endsWith('%%EOF')).toBe(true)
      const startxref = Number(/startxref\n(\d+)/.exec(text)?.[1])
      expect(text.slice(startxref, startxref + 4)).toBe('xref')
      const offsets = [...text.slice(startxref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]))
      for (const [index, offset] of offsets.entries()) {
        expect(text.slice(offset).startsWith(`${index + 1} 0 obj`)).toBe(true)
      }
    }
    const digests = new Set(pdfs.map((p) => createHash('sha256').update(p.content).digest('hex')))
    expect(digests.size).toBe(pdfs.length)
  })

  it('are real PNG logos', () => {
    const logos = (set.referenceData.senderOrganizations ?? []).flatMap((o) => o.organizationLogos ?? [])
    expect(logos.length).toBeGreaterThan(0)
    for (const image of logos) {
      const png = Buffer.from(image.contentBase64, 'base64')
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG')
      const idatLength = png.readUInt32BE(33)
      expect(inflateSync(png.subarray(41, 41 + idatLength)).length).toBe((48 * 4 + 1) * 48)
    }
  })

  it('is deterministic for a given now', () => {
    const again = buildDemoDataSet(new Date('2026-01-01T00:00:00Z'))
    expect(again.messages.map((m) => m.attachments.map((a) => a.content.toString('base64')))).toEqual(
      set.messages.map((m) => m.attachments.map((a) => a.content.toString('base64'))),
    )
  })
})
