/**
 * A small, in-memory Message Registry that follows the contract — and a switch for each way of getting it wrong.
 * The fault-free registry must pass every check; each fault must make the check(s) meant to catch it fail.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SCOPES, UNIMPLEMENTED_OPERATIONS } from '@ebox/contract'

export const FAULTS = [
  'auth-optional',
  'any-token-accepted',
  'scope-ignored',
  'version-requires-auth',
  'reset-unprotected',
  'reset-broken',
  'reset-keeps-reads',
  'data-set-drift',
  'null-items',
  'missing-total',
  'default-page-size-10',
  'page-size-unbounded',
  'page-zero-accepted',
  'past-end-error',
  'paging-overlap',
  'oldest-first',
  'pages-reversed',
  'filter-readStatus-ignored',
  'filter-visible-ignored',
  'filter-registeredMail-ignored',
  'filter-messageTypeId-ignored',
  'filter-senderOrganizationId-ignored',
  'filter-senderApplicationId-ignored',
  'filter-partitionId-ignored',
  'receivedBefore-inclusive',
  'expired-filters-ignored',
  'filters-or',
  'bad-date-ignored',
  'q-without-qlang-accepted',
  'qlang-en-accepted',
  'q-ignored',
  'search-accent-sensitive',
  'search-case-sensitive',
  'search-words',
  'search-subject-only',
  'detail-differs',
  'unknown-message-500',
  'attachments-list-differs',
  'two-main-contents',
  'content-corrupt',
  'content-size-wrong',
  'content-octet-stream',
  'annex-marks-read',
  'main-does-not-mark-read',
  'refdata-list-null',
  'refdata-missing-application',
  'no-cache-control',
  'short-cache',
  'refdata-unknown-200',
  'null-property',
  'incomplete-translation',
  'empty-translation',
  'nine-digit-cbe',
  'error-body-plain',
  'foreign-message-visible',
  'foreign-detail-readable',
  'statistics-missing',
  'no-cors',
  'body-missing',
  'relative-content-href',
  'http-content-href',
  'action-count-includes-executed',
  'action-patch-missing',
  'action-not-kept',
  'action-not-idempotent',
  'unimplemented-404',
] as const
export type Fault = (typeof FAULTS)[number]

export const MAIN_CBE = '0406798006'
export const OTHER_CBE = '0206731645'

/** Bearer tokens the fake registry knows. */
export const FAKE_TOKENS = {
  consultation: 'fake-consultation',
  referenceData: 'fake-referencedata',
  publication: 'fake-publication',
  certification: 'fake-certification',
  otherEbox: 'fake-other-ebox',
  insufficientScope: 'fake-insufficient-scope',
} as const

const TOKENS: Record<string, { cbe?: string; scopes: string[] }> = {
  [FAKE_TOKENS.consultation]: { cbe: MAIN_CBE, scopes: [SCOPES.documentConsumer] },
  [FAKE_TOKENS.referenceData]: { cbe: MAIN_CBE, scopes: [SCOPES.referenceData] },
  [FAKE_TOKENS.publication]: { cbe: MAIN_CBE, scopes: [SCOPES.publicationSender] },
  [FAKE_TOKENS.certification]: { scopes: [SCOPES.certification] },
  [FAKE_TOKENS.otherEbox]: { cbe: OTHER_CBE, scopes: [SCOPES.documentConsumer] },
  [FAKE_TOKENS.insufficientScope]: { cbe: MAIN_CBE, scopes: [SCOPES.referenceData] },
}

type Lang = 'nl' | 'fr' | 'de'
type TS = Record<Lang, string>
const ts = (fr: string, nl = fr, de = fr): TS => ({ nl, fr, de })

interface FakeAttachment {
  attachmentId: string
  title: TS
  fileName: string
  isMainContent: boolean
  mediaType: string
  content: Buffer
}

interface FakeMessage {
  messageId: string
  ebox: string
  subject: TS
  receiptDate: string
  expirationDate: string
  readDate?: string
  visible: boolean
  registered: boolean
  messageTypeId: string
  senderOrganizationId: string
  senderApplicationId: string
  partitionId: string
  body?: TS
  attachments: FakeAttachment[]
  businessData: Array<{ key: string; values: TS[] }>
  forTheAttentionOf?: { label: string }
  /** The action the message asks for; `executionDate` once executed. */
  action?: { dueDate?: string; executionDate?: string }
}

const ORGANIZATIONS = [
  {
    id: '0212148896',
    short: ts(
      'Office national de sécurité sociale',
      'Rijksdienst voor Sociale Zekerheid',
      'Landesamt für soziale Sicherheit',
    ),
  },
  { id: '0474028805', short: ts('Ville de Liège', 'Stad Luik', 'Stadt Lüttich') },
  { id: '0800002352', short: ts('Fonds de pension', 'Pensioenfonds', 'Pensionsfonds') },
]
const APPLICATIONS = [
  { id: 'app-dimona', org: '0212148896', name: ts('Dimona', 'Dimona', 'Dimona') },
  {
    id: 'app-taxes',
    org: '0474028805',
    name: ts('Taxes communales', 'Gemeentebelastingen', 'Gemeindesteuern'),
  },
  {
    id: 'app-pensions',
    org: '0800002352',
    name: ts('Pensions complémentaires', 'Aanvullende pensioenen', 'Zusatzrenten'),
  },
]
const MESSAGE_TYPES = [
  { id: 'type-reminder', name: ts('Rappel de paiement', 'Betalingsherinnering', 'Zahlungserinnerung') },
  {
    id: 'type-decision',
    name: ts('Décision administrative', 'Administratieve beslissing', 'Verwaltungsentscheidung'),
  },
  {
    id: 'type-invoice',
    name: ts('Facture trimestrielle', 'Driemaandelijkse factuur', 'Vierteljahresrechnung'),
  },
  { id: 'type-notice', name: ts('Avis important', 'Belangrijk bericht', 'Wichtiger Hinweis') },
]

const SUBJECTS = [
  ts('Rappel : épinards et François, ok ?', 'Herinnering: spinazie en Frans', 'Erinnerung: Spinat und Franz'),
  ts('Votre déclaration trimestrielle', 'Uw driemaandelijkse aangifte', 'Ihre Quartalserklärung'),
  ts('Test de réception du message', 'Test van ontvangst', 'Empfangstest'),
  ts('Décision relative à votre dossier', 'Beslissing over uw dossier', 'Entscheidung zu Ihrer Akte'),
  ts('Facture de cotisations sociales', 'Factuur sociale bijdragen', 'Rechnung Sozialbeiträge'),
  ts('Avis de modification des données', 'Bericht van wijziging', 'Änderungsmitteilung'),
]

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

function pdf(text: string): Buffer {
  return Buffer.from(`%PDF-1.4\n% ${text}\n${'x'.repeat(300 + text.length * 7)}\n%%EOF\n`)
}

/** The data set /certification/resetDataSet restores: 30 messages for the main e-Box, 4 for the other. */
export function initialMessages(now = Math.floor(Date.now() / 3_600_000) * 3_600_000): FakeMessage[] {
  const messages: FakeMessage[] = []
  for (let index = 0; index < 34; index++) {
    const ebox = index < 30 ? MAIN_CBE : OTHER_CBE
    const type = MESSAGE_TYPES[index % MESSAGE_TYPES.length]!
    const app = APPLICATIONS[index % APPLICATIONS.length]!
    // Every other message arrives at 23:30 UTC, which is the next day in Brussels: the filters' day bounds matter.
    const receipt = now - Math.floor(index / 2) * DAY * 2 - (index % 2) * (DAY / 2) - (index % 3) * 3_600_000
    const expired = index % 10 === 9
    const expiration = expired ? now - (index + 1) * DAY : now + (30 + index * 3) * DAY
    const bodyMain = index % 7 === 3
    const id = `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`
    const attachments: FakeAttachment[] = []
    if (!bodyMain) {
      attachments.push({
        attachmentId: '1',
        title: ts(`Document ${index + 1}`, `Document ${index + 1}`, `Dokument ${index + 1}`),
        fileName: `document-${index + 1}.pdf`,
        isMainContent: true,
        mediaType: 'application/pdf',
        content: pdf(`message ${index + 1}`),
      })
    }
    if (index % 3 === 0) {
      attachments.push({
        attachmentId: '2',
        title: ts('Annexe', 'Bijlage', 'Anlage'),
        fileName: 'annexe.csv',
        isMainContent: false,
        mediaType: 'text/csv',
        content: Buffer.from(`a;b\n${index};${index * 2}\n`),
      })
    }
    messages.push({
      messageId: id,
      ebox,
      subject: SUBJECTS[index % SUBJECTS.length]!,
      receiptDate: iso(receipt),
      expirationDate: iso(expiration),
      ...(index % 4 === 1 ? { readDate: iso(receipt + 3_600_000) } : {}),
      visible: index % 5 !== 4,
      registered: index % 6 === 2,
      messageTypeId: type.id,
      senderOrganizationId: app.org,
      senderApplicationId: app.id,
      partitionId: index % 4 === 2 ? 'partitionBid' : 'GENERAL',
      ...(bodyMain ? { body: ts('Le texte du message', 'De tekst', 'Der Text') } : {}),
      attachments,
      businessData: index % 2 === 0 ? [{ key: 'reference', values: [ts(`Dossier ZX-${1000 + index}`)] }] : [],
      ...(index % 8 === 0 ? { forTheAttentionOf: { label: 'Service du personnel' } } : {}),
      // Two messages ask for an action: one pending (with a due date), one already executed.
      ...(index === 4 ? { action: { dueDate: brusselsDay(iso(now + 20 * DAY)) } } : {}),
      ...(index === 10 ? { action: { executionDate: iso(receipt + DAY) } } : {}),
    })
  }
  return messages
}

function brusselsDay(dateTime: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels' }).format(new Date(dateTime))
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export interface FakeRegistry {
  url: string
  faults: Set<Fault>
  /** Replaces the active faults (and restores the data set). */
  setFaults(faults: readonly Fault[]): void
  messages(): FakeMessage[]
  close(): Promise<void>
}

export async function startFakeRegistry(faults: readonly Fault[] = []): Promise<FakeRegistry> {
  const active = new Set<Fault>(faults)
  const has = (fault: Fault) => active.has(fault)
  let data = initialMessages()

  const digest = (content: Buffer) => createHash('sha256').update(content).digest('base64url')
  const contentOf = (attachment: FakeAttachment) => {
    if (!has('content-corrupt')) return attachment.content
    const copy = Buffer.from(attachment.content)
    copy[10] = (copy[10]! + 1) % 256
    return copy
  }

  function lang(value: TS, messageId?: string): Partial<TS> {
    if (has('incomplete-translation') && messageId?.endsWith('2')) return { nl: value.nl, fr: value.fr }
    if (has('empty-translation') && messageId?.endsWith('2')) return { ...value, de: '' }
    return value
  }

  function attachmentJson(message: FakeMessage, attachment: FakeAttachment, index: number) {
    const bytes = attachment.content.length
    return {
      attachmentId: attachment.attachmentId,
      attachmentTitle: attachment.title,
      fileName: attachment.fileName,
      isMainContent:
        has('two-main-contents') && message.messageId.endsWith('01') ? true : attachment.isMainContent,
      mediaType: attachment.mediaType,
      size:
        has('content-size-wrong') && index === 0
          ? Math.round(bytes / 1000)
          : Math.round((bytes / 1024) * 1000) / 1000,
      digest: { digestMethod: 'sha_256', digestValue: digest(attachment.content) },
      isAttachmentSigned: false,
      contentHref: `${has('relative-content-href') ? '' : has('http-content-href') ? 'http://dp.fake.example' : 'https://dp.fake.example'}/ebox/messages/${message.messageId}/attachments/${attachment.attachmentId}/content`,
    }
  }

  function messageJson(message: FakeMessage, detail = false) {
    const org = has('nine-digit-cbe')
      ? message.senderOrganizationId.replace(/^0/, '')
      : message.senderOrganizationId
    const attachments = message.attachments.map((attachment, index) =>
      attachmentJson(message, attachment, index),
    )
    return {
      messageId: message.messageId,
      subject:
        detail && has('detail-differs')
          ? { ...message.subject, de: 'Anders' }
          : lang(message.subject, message.messageId),
      receiptDate: message.receiptDate,
      expirationDate: message.expirationDate,
      readStatus: message.readDate !== undefined,
      ...(message.readDate ? { readDate: message.readDate } : has('null-property') ? { readDate: null } : {}),
      visible: message.visible,
      isRegisteredMail: message.registered,
      ...(message.forTheAttentionOf ? { forTheAttentionOf: message.forTheAttentionOf } : {}),
      messageTypeId: message.messageTypeId,
      senderOrganizationId: org,
      sender: { eboxType: 'enterprise', enterpriseNumber: org },
      senderApplicationId: message.senderApplicationId,
      partitionId: message.partitionId,
      isBodyMainContent: message.body !== undefined,
      isReplyAuthorized: false,
      attachments: { items: attachments, totalItems: attachments.length },
      businessDataList: {
        items: message.businessData.map((data) => ({ key: data.key, values: data.values })),
        totalItems: message.businessData.length,
      },
      ...(message.action ? { messageAction: actionJson(message) } : {}),
    }
  }

  function actionJson(message: FakeMessage) {
    const action = message.action!
    return {
      ...(action.dueDate ? { dueDate: action.dueDate } : {}),
      isExecuted: action.executionDate !== undefined,
      ...(action.executionDate ? { executionDate: action.executionDate } : {}),
    }
  }

  /** PATCH /ebox/messages/{id}/messageAction with `{ "isExecuted": true }`. */
  async function executeAction(message: FakeMessage, request: IncomingMessage) {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString() || 'null') as { isExecuted?: unknown } | null
    if (body?.isExecuted !== true) throw new HttpError(400, 'INVALID_INPUT', 'isExecuted: true expected')
    if (!message.action) throw new HttpError(404, 'NOT_FOUND', 'the message asks for no action')
    const now = iso(Date.now() + (has('action-not-idempotent') ? Math.random() * 1e9 : 0))
    const executionDate = has('action-not-idempotent') ? now : (message.action.executionDate ?? now)
    if (has('action-not-kept')) return { ...actionJson(message), isExecuted: true, executionDate }
    message.action.executionDate = executionDate
    return actionJson(message)
  }

  function searchTexts(message: FakeMessage, qlang: Lang): string[] {
    const texts = [message.subject[qlang]]
    if (has('search-subject-only')) return texts
    for (const data of message.businessData) for (const value of data.values) texts.push(value[qlang])
    if (message.forTheAttentionOf) texts.push(message.forTheAttentionOf.label)
    texts.push(MESSAGE_TYPES.find((type) => type.id === message.messageTypeId)!.name[qlang])
    texts.push(APPLICATIONS.find((app) => app.id === message.senderApplicationId)!.name[qlang])
    texts.push(ORGANIZATIONS.find((org) => org.id === message.senderOrganizationId)!.short[qlang])
    return texts
  }

  function matchesSearch(message: FakeMessage, q: string, qlang: Lang): boolean {
    if (has('q-ignored')) return true
    const prepare = (text: string) => {
      let result = text
      if (!has('search-accent-sensitive')) result = result.normalize('NFD').replace(/\p{M}/gu, '')
      if (!has('search-case-sensitive')) result = result.toLowerCase()
      return result
    }
    const texts = searchTexts(message, qlang).map(prepare)
    if (has('search-words')) {
      return prepare(q)
        .split(/\s+/)
        .every((word) => texts.some((text) => text.includes(word)))
    }
    return texts.some((text) => text.includes(prepare(q)))
  }

  const BOOLEAN = /^(true|false)$/
  const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/

  function integerParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
    const raw = query.get(name)
    if (raw === null) return fallback
    if (!/^-?\d+$/.test(raw)) throw new HttpError(400, 'INVALID_INPUT', `${name} must be an integer`)
    const value = Number(raw)
    const min = has('page-zero-accepted') ? 0 : 1
    if (value < min || value > max) throw new HttpError(400, 'INVALID_INPUT', `${name} out of range`)
    return Math.max(1, value)
  }

  function listMessages(ebox: string, query: URLSearchParams) {
    for (const name of ['readStatus', 'visible', 'registeredMail']) {
      const raw = query.get(name)
      if (raw !== null && !BOOLEAN.test(raw) && !has('bad-date-ignored'))
        throw new HttpError(400, 'INVALID_INPUT', `${name} must be a boolean`)
    }
    for (const name of ['receivedAfter', 'receivedBefore', 'expiredAfter', 'expiredBefore']) {
      const raw = query.get(name)
      if (raw !== null && !DATE.test(raw) && !has('bad-date-ignored'))
        throw new HttpError(400, 'INVALID_INPUT', `${name} must be a date`)
    }
    const q = query.get('q')
    const qlang = query.get('qlang')
    if (q !== null && qlang === null && !has('q-without-qlang-accepted'))
      throw new HttpError(400, 'INVALID_INPUT', 'q needs qlang')
    if (qlang !== null && !['fr', 'nl', 'de'].includes(qlang) && !has('qlang-en-accepted'))
      throw new HttpError(400, 'INVALID_INPUT', 'qlang must be fr, nl or de')
    const page = integerParam(query, 'page', 1, 1_000_000)
    const pageSize = integerParam(
      query,
      'pageSize',
      has('default-page-size-10') ? 10 : 25,
      has('page-size-unbounded') ? 1000 : 100,
    )

    const now = Date.now()
    const expiredFilter =
      ['expiredAfter', 'expiredBefore'].some((name) => query.has(name)) && !has('expired-filters-ignored')
    const criteria: Array<(message: FakeMessage) => boolean> = []
    const bool = (name: string) => query.get(name) === 'true'
    const filterOn = (name: string) =>
      query.has(name) && BOOLEAN.test(query.get(name)!) && !has(`filter-${name}-ignored` as Fault)
    if (filterOn('readStatus')) criteria.push((m) => (m.readDate !== undefined) === bool('readStatus'))
    if (filterOn('visible')) criteria.push((m) => m.visible === bool('visible'))
    if (filterOn('registeredMail')) criteria.push((m) => m.registered === bool('registeredMail'))
    for (const name of [
      'messageTypeId',
      'senderOrganizationId',
      'senderApplicationId',
      'partitionId',
    ] as const) {
      const value = query.get(name)
      if (value !== null && !has(`filter-${name}-ignored` as Fault)) criteria.push((m) => m[name] === value)
    }
    const day = (name: string) => (DATE.test(query.get(name) ?? '') ? query.get(name)! : undefined)
    const receivedAfter = day('receivedAfter')
    const receivedBefore = day('receivedBefore')
    if (receivedAfter) criteria.push((m) => brusselsDay(m.receiptDate) >= receivedAfter)
    if (receivedBefore) {
      criteria.push((m) =>
        has('receivedBefore-inclusive')
          ? brusselsDay(m.receiptDate) <= receivedBefore
          : brusselsDay(m.receiptDate) < receivedBefore,
      )
    }
    if (expiredFilter) {
      const expiredAfter = day('expiredAfter')
      const expiredBefore = day('expiredBefore')
      if (expiredAfter) criteria.push((m) => brusselsDay(m.expirationDate) >= expiredAfter)
      if (expiredBefore) criteria.push((m) => brusselsDay(m.expirationDate) < expiredBefore)
    }
    if (q !== null) criteria.push((m) => matchesSearch(m, q, (qlang ?? 'fr') as Lang))

    const foreign = has('foreign-message-visible') ? data.find((m) => m.ebox !== ebox) : undefined
    let matching = data.filter((m) => {
      if (m.ebox !== ebox && m !== foreign) return false
      if (!expiredFilter && Date.parse(m.expirationDate) < now) return false
      if (criteria.length === 0) return true
      return has('filters-or')
        ? criteria.some((criterion) => criterion(m))
        : criteria.every((criterion) => criterion(m))
    })
    matching.sort(
      (a, b) => b.receiptDate.localeCompare(a.receiptDate) || b.messageId.localeCompare(a.messageId),
    )
    if (has('oldest-first')) matching = matching.reverse()
    const pages = Math.max(1, Math.ceil(matching.length / pageSize))
    const servedPage = has('pages-reversed') && page <= pages ? pages + 1 - page : page
    if (has('past-end-error') && page > pages) throw new HttpError(404, 'NOT_FOUND', 'no such page')
    let offset = (servedPage - 1) * pageSize
    if (has('paging-overlap') && servedPage > 1) offset -= 1
    const items = matching.slice(offset, offset + pageSize).map((m) => messageJson(m))
    return {
      ...(items.length === 0 && has('null-items') ? { items: null } : { items }),
      ...(has('missing-total') ? {} : { totalItems: matching.length }),
    }
  }

  function findMessage(ebox: string, id: string): FakeMessage {
    if (has('unknown-message-500') && !data.some((m) => m.messageId === id))
      throw new HttpError(500, 'INTERNAL_ERROR', 'boom')
    const message = data.find(
      (m) => m.messageId === id && (m.ebox === ebox || has('foreign-detail-readable')),
    )
    if (!message) throw new HttpError(404, 'NOT_FOUND', 'no such message')
    return message
  }

  function markRead(message: FakeMessage) {
    message.readDate ??= iso(Date.now())
  }

  function referenceList(kind: string) {
    const items =
      kind === 'messageTypes'
        ? MESSAGE_TYPES.map((type) => messageTypeJson(type.id))
        : kind === 'senderApplications'
          ? APPLICATIONS.map((app) => applicationJson(app.id))
          : ORGANIZATIONS.map((org) => organizationJson(org.id))
    return has('refdata-list-null') ? { items: null, totalItems: 0 } : { items, totalItems: items.length }
  }

  function messageTypeJson(id: string) {
    const type = MESSAGE_TYPES.find((candidate) => candidate.id === id)
    if (!type) return undefined
    return {
      messageTypeId: type.id,
      messageTypeName: type.name,
      validityPeriod: { validityPeriodNumber: 3, validityPeriodUnit: 'month' },
      senderOrganizationIds: ORGANIZATIONS.map((org) => org.id),
      senderApplicationIds: APPLICATIONS.map((app) => app.id),
    }
  }

  function applicationJson(id: string) {
    const app = APPLICATIONS.find((candidate) => candidate.id === id)
    if (!app || (has('refdata-missing-application') && id === 'app-taxes')) return undefined
    return {
      applicationId: app.id,
      applicationName: app.name,
      applicationLogos: [],
      senderOrganizationIds: [app.org],
      messageTypeIds: MESSAGE_TYPES.map((type) => type.id),
    }
  }

  function organizationJson(id: string) {
    const org = ORGANIZATIONS.find((candidate) => candidate.id === id)
    if (!org) return undefined
    return {
      organizationId: org.id,
      organizationShortName: org.short,
      organizationLogos: [],
      senderApplicationIds: APPLICATIONS.filter((app) => app.org === org.id).map((app) => app.id),
      messageTypeIds: [],
    }
  }

  function statistics(ebox: string) {
    const mine = data.filter((m) => m.ebox === ebox)
    const unread = mine.filter((m) => m.readDate === undefined)
    const listed = mine.filter((m) => Date.parse(m.expirationDate) > Date.now())
    return {
      actionRequiredMessages: listed.filter(
        (m) => m.action && (has('action-count-includes-executed') || m.action.executionDate === undefined),
      ).length,
      totalMessages: mine.length,
      unreadMessages: unread.length,
      expiringSoonMessages: 0,
      registeredMessages: mine.filter((m) => m.registered).length,
      unreadRegisteredMessages: unread.filter((m) => m.registered).length,
      partitions: [],
    }
  }

  function authenticate(
    request: IncomingMessage,
    accepted: readonly string[],
  ): { cbe?: string; scopes: string[] } {
    const header = request.headers.authorization ?? ''
    const match = /^Bearer (\S+)$/.exec(header)
    if (!match) {
      if (has('auth-optional')) return TOKENS[FAKE_TOKENS.consultation]!
      throw new HttpError(401, 'UNAUTHENTICATED', 'no token')
    }
    const principal =
      TOKENS[match[1]!] ?? (has('any-token-accepted') ? TOKENS[FAKE_TOKENS.consultation] : undefined)
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'invalid token')
    if (!has('scope-ignored') && !accepted.some((scope) => principal.scopes.includes(scope))) {
      throw new HttpError(403, 'FORBIDDEN', 'missing scope')
    }
    return principal.cbe ? principal : { ...principal, cbe: has('scope-ignored') ? MAIN_CBE : undefined }
  }

  const CONSULT = [SCOPES.documentConsumer, SCOPES.messagesFull]
  const PUBLISH = [SCOPES.publicationSender]
  const scopesOf = (operation: string) => (operation === 'optionalPublication' ? PUBLISH : CONSULT)
  const REFERENCE = [
    SCOPES.referenceData,
    SCOPES.documentConsumer,
    SCOPES.messagesFull,
    SCOPES.publicationSender,
  ]

  function sendJson(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    response.end(JSON.stringify(body))
  }

  const PORTAL = 'https://wwwacc.eboxenterprise.be'

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake')
    const cors = request.headers.origin === PORTAL && !has('no-cors')
    if (cors) response.setHeader('access-control-allow-origin', PORTAL)
    if (request.method === 'OPTIONS') {
      if (cors) response.setHeader('access-control-allow-headers', 'authorization, content-type')
      response.writeHead(204).end()
      return
    }
    const path = url.pathname
    const method = request.method ?? 'GET'
    const query = url.searchParams
    if (path === '/certification/version' && method === 'GET') {
      if (has('version-requires-auth')) authenticate(request, CONSULT)
      return sendJson(response, 200, { version: '0.0.1', apiVersion: '3.5', build: 'fake' })
    }
    if (path === '/certification/resetDataSet' && method === 'POST') {
      if (!has('reset-unprotected')) authenticate(request, [SCOPES.certification])
      if (has('reset-broken')) throw new HttpError(500, 'INTERNAL_ERROR', 'reset failed')
      const fresh = initialMessages()
      if (has('reset-keeps-reads')) {
        for (const message of fresh)
          message.readDate ??= data.find((old) => old.messageId === message.messageId)?.readDate
      }
      data = has('data-set-drift') ? fresh.slice(1) : fresh
      response.writeHead(204).end()
      return
    }
    const unserved = UNIMPLEMENTED_OPERATIONS.find(
      (entry) =>
        entry.method === method && new RegExp(`^${entry.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path),
    )
    if (unserved) {
      authenticate(request, scopesOf(unserved.operation))
      if (has('unimplemented-404')) throw new HttpError(404, 'NOT_FOUND', `no route for ${path}`)
      throw new HttpError(501, 'NOT_IMPLEMENTED', `${unserved.operationId} is not provided`)
    }
    const action = /^\/ebox\/messages\/([^/]+)\/messageAction$/.exec(path)
    if (action && method === 'PATCH' && !has('action-patch-missing')) {
      const { cbe } = authenticate(request, CONSULT)
      const message = findMessage(cbe!, decodeURIComponent(action[1]!))
      return sendJson(response, 200, await executeAction(message, request))
    }
    if (method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'method not allowed')
    const reference =
      /^\/referenceData\/(messageTypes|senderApplications|senderOrganizations)(?:\/([^/]+))?$/.exec(path)
    if (reference) {
      authenticate(request, REFERENCE)
      const [, kind, rawId] = reference
      if (rawId === undefined) return sendJson(response, 200, referenceList(kind!))
      const id = decodeURIComponent(rawId)
      const item =
        kind === 'messageTypes'
          ? messageTypeJson(id)
          : kind === 'senderApplications'
            ? applicationJson(id)
            : organizationJson(id)
      if (!item) {
        if (has('refdata-unknown-200')) return sendJson(response, 200, {})
        throw new HttpError(404, 'NOT_FOUND', 'no such reference data')
      }
      const cache: Record<string, string> = has('no-cache-control')
        ? {}
        : { 'cache-control': has('short-cache') ? 'public, max-age=60' : 'public, max-age=172800' }
      return sendJson(response, 200, item, cache)
    }
    if (path === '/ebox/statistics') {
      const { cbe } = authenticate(request, CONSULT)
      if (has('statistics-missing')) throw new HttpError(404, 'NOT_FOUND', 'no route')
      return sendJson(response, 200, statistics(cbe!))
    }
    if (path === '/ebox/messages') {
      const { cbe } = authenticate(request, CONSULT)
      return sendJson(response, 200, listMessages(cbe!, query), { 'cache-control': 'private, no-store' })
    }
    const messageRoute = /^\/ebox\/messages\/([^/]+)(\/body|\/attachments(?:\/([^/]+)(\/content)?)?)?$/.exec(
      path,
    )
    if (messageRoute) {
      const { cbe } = authenticate(request, CONSULT)
      const [, rawId, sub, rawAttachment, content] = messageRoute
      const message = findMessage(cbe!, decodeURIComponent(rawId!))
      if (sub === undefined) return sendJson(response, 200, messageJson(message, true))
      if (sub === '/body') {
        if (!message.body || has('body-missing')) throw new HttpError(404, 'NOT_FOUND', 'no body')
        if (!has('main-does-not-mark-read')) markRead(message)
        return sendJson(response, 200, { bodyContent: message.body })
      }
      if (rawAttachment === undefined) {
        const all = message.attachments.map((attachment, index) => attachmentJson(message, attachment, index))
        const items = has('attachments-list-differs') ? all.slice(0, 1) : all
        return sendJson(response, 200, { items, totalItems: all.length })
      }
      const index = message.attachments.findIndex(
        (candidate) => candidate.attachmentId === decodeURIComponent(rawAttachment),
      )
      const attachment = message.attachments[index]
      if (!attachment) throw new HttpError(404, 'NOT_FOUND', 'no such attachment')
      if (!content) return sendJson(response, 200, attachmentJson(message, attachment, index))
      if (attachment.isMainContent ? !has('main-does-not-mark-read') : has('annex-marks-read'))
        markRead(message)
      const bytes = contentOf(attachment)
      response.writeHead(200, {
        'content-type': has('content-octet-stream') ? 'application/octet-stream' : attachment.mediaType,
        'content-length': String(bytes.length),
        ...(has('content-octet-stream')
          ? {}
          : {
              'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`,
            }),
        'cache-control': 'private, no-store',
      })
      response.end(bytes)
      return
    }
    throw new HttpError(404, 'NOT_FOUND', `no route for ${path}`)
  }

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500
      const code = error instanceof HttpError ? error.code : 'INTERNAL_ERROR'
      if (has('error-body-plain')) {
        response.writeHead(status, { 'content-type': 'text/plain' }).end(`error ${status}`)
        return
      }
      sendJson(response, status, {
        id: randomUUID(),
        code,
        message: (error as Error).message,
        environment: 'test',
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    faults: active,
    setFaults(next) {
      active.clear()
      for (const fault of next) active.add(fault)
      data = initialMessages()
    },
    messages: () => data,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
