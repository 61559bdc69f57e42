import {
  type Attachment,
  attachmentContentHref,
  CONTRACT,
  escapeLike,
  fillTranslations,
  formatDateTime,
  type Language,
  type Message,
  normaliseEnterpriseNumber,
  normaliseForSearch,
  type PartialTranslatedString,
  type PaymentData,
  RegistryError,
  type TranslatedString,
} from '@ebox/contract'
import type pg from 'pg'
import type { MessageScope } from '../auth/message-scope.ts'
import { inTransaction } from '../db/pool.ts'
import { prepared } from '../db/prepared.ts'
import { enqueueEvent } from '../federation/outbox.ts'

/**
 * Messages as the consultation profile reads and changes them (§5.1–5.3). Every function takes the caller's
 * MessageScope first: a message outside it (another e-Box, a partition the caller may not see) behaves exactly
 * like a message that does not exist.
 */

type Queryable = pg.Pool | pg.PoolClient
type Texts = PartialTranslatedString

/** Collects positional parameters while a statement is assembled. */
class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/** `m.recipient_type = … AND m.recipient_id = … [AND m.partition_id = ANY(…)]`: the structural tenant filter. */
function scopeCondition(params: Params, scope: MessageScope, alias = 'm'): string {
  const conditions = [
    `${alias}.recipient_type = ${params.add(scope.ebox.eboxType)}`,
    `${alias}.recipient_id = ${params.add(scope.ebox.id)}`,
  ]
  if (scope.partitions !== undefined) {
    conditions.push(`${alias}.partition_id = ANY(${params.add(scope.partitions)}::text[])`)
  }
  return conditions.join(' AND ')
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Message ids are UUIDs: anything else names no message (404, not 400). */
export const isMessageId = (id: string) => UUID.test(id)

// Rows and their wire form ---------------------------------------------------------------------------------------

const MESSAGE_COLUMNS = `m.message_id, m.recipient_type, m.partition_id, m.sender_enterprise_number,
  m.sender_partition, m.sender_application_id, m.message_type_id, m.subject,
  date_part('epoch', m.published_at) * 1000 AS published_ms, date_part('epoch', m.expires_at) * 1000 AS expires_ms,
  date_part('epoch', m.read_at) * 1000 AS read_ms, m.visible, m.registered_mail, m.reply_authorized, m.body_main_content, m.for_attention_ssin,
  m.for_attention_label, m.business_data, m.payment_data`

interface MessageRow {
  message_id: string
  recipient_type: 'enterprise' | 'citizen'
  partition_id: string
  sender_enterprise_number: string
  sender_partition: string | null
  sender_application_id: string
  message_type_id: string
  subject: Texts
  /** Timestamps as epoch milliseconds: a float8 parses far cheaper than a timestamptz (issue 10). */
  published_ms: number
  expires_ms: number
  read_ms: number | null
  visible: boolean
  registered_mail: boolean
  reply_authorized: boolean
  body_main_content: boolean
  for_attention_ssin: string | null
  for_attention_label: string | null
  business_data: StoredBusinessData[]
  payment_data: StoredPaymentData | null
}

interface StoredBusinessData {
  key: string
  name?: Texts
  description?: Texts
  values: Texts[]
}

type StoredPaymentData = Omit<PaymentData, 'dueDate'> & { dueDate: string }

const ATTACHMENT_COLUMNS = `a.message_id, a.attachment_id, a.title, a.file_name, a.main_content, a.media_type,
  a.size_bytes::float8 AS size_bytes, a.digest, a.signed, a.content_id`

interface AttachmentRow {
  message_id: string
  attachment_id: string
  title: Texts | null
  file_name: string
  main_content: boolean
  media_type: string
  size_bytes: number
  digest: string
  signed: boolean
  content_id: string
}

function attachmentOf(row: AttachmentRow): Attachment {
  return {
    attachmentId: row.attachment_id,
    ...(row.title ? { attachmentTitle: fillTranslations(row.title) } : {}),
    fileName: row.file_name,
    isMainContent: row.main_content,
    mediaType: row.media_type,
    size: row.size_bytes / 1024,
    digest: { digestMethod: 'sha_256', digestValue: row.digest },
    isAttachmentSigned: row.signed,
    contentHref: attachmentContentHref(row.message_id, row.attachment_id),
  }
}

function paymentDataOf(stored: StoredPaymentData): PaymentData {
  const { paymentDataId, amount, vatAmount, currency, iban, bic, reference } = stored
  return {
    paymentDataId,
    amount,
    vatAmount,
    currency,
    dueDate: formatDateTime(new Date(stored.dueDate)),
    iban,
    ...(bic ? { bic } : {}),
    ...(reference ? { reference } : {}),
  }
}

const optionalTexts = (value: Texts | undefined | null): TranslatedString | undefined =>
  value ? fillTranslations(value) : undefined

function messageOf(row: MessageRow, attachments: AttachmentRow[]): Message {
  const businessData = row.business_data.map((item) => ({
    key: item.key,
    ...(item.name ? { name: optionalTexts(item.name) } : {}),
    ...(item.description ? { description: optionalTexts(item.description) } : {}),
    values: item.values.map((value) => fillTranslations(value)),
  }))
  return {
    messageId: row.message_id,
    subject: fillTranslations(row.subject),
    receiptDate: formatDateTime(new Date(row.published_ms)),
    expirationDate: formatDateTime(new Date(row.expires_ms)),
    readStatus: row.read_ms !== null,
    ...(row.read_ms !== null ? { readDate: formatDateTime(new Date(row.read_ms)) } : {}),
    visible: row.visible,
    isRegisteredMail: row.registered_mail,
    ...(row.for_attention_label !== null
      ? {
          forTheAttentionOf: {
            ...(row.for_attention_ssin ? { ssin: row.for_attention_ssin } : {}),
            label: row.for_attention_label,
          },
        }
      : {}),
    messageTypeId: row.message_type_id,
    senderOrganizationId: row.sender_enterprise_number,
    sender: {
      eboxType: 'enterprise',
      enterpriseNumber: row.sender_enterprise_number,
      ...(row.sender_partition ? { partition: row.sender_partition } : {}),
    },
    senderApplicationId: row.sender_application_id,
    // Citizen e-Boxes have no partitions (§1): the property is left out for them.
    ...(row.recipient_type === 'enterprise' ? { partitionId: row.partition_id } : {}),
    isBodyMainContent: row.body_main_content,
    isReplyAuthorized: row.reply_authorized,
    attachments: { items: attachments.map(attachmentOf), totalItems: attachments.length },
    businessDataList: { items: businessData, totalItems: businessData.length },
    ...(row.payment_data ? { paymentData: paymentDataOf(row.payment_data) } : {}),
  }
}

/** The attachments of many messages in one query (no N+1), grouped by message id. */
async function attachmentsOf(db: Queryable, messageIds: string[]): Promise<Map<string, AttachmentRow[]>> {
  const byMessage = new Map<string, AttachmentRow[]>(messageIds.map((id) => [id, []]))
  if (messageIds.length === 0) return byMessage
  const { rows } = await db.query<AttachmentRow>(
    prepared(
      `SELECT ${ATTACHMENT_COLUMNS} FROM attachments a WHERE a.message_id = ANY($1::uuid[])
       ORDER BY a.message_id, a.position, a.attachment_id`,
      [messageIds],
    ),
  )
  for (const row of rows) byMessage.get(row.message_id)?.push(row)
  return byMessage
}

// The list -----------------------------------------------------------------------------------------------------

export interface MessageFilters {
  receivedBefore?: string
  receivedAfter?: string
  expiredBefore?: string
  expiredAfter?: string
  readStatus?: boolean
  visible?: boolean
  registeredMail?: boolean
  messageTypeId?: string
  senderOrganizationId?: string
  senderApplicationId?: string
  partitionId?: string
  q?: string
  qlang?: Language
}

const SEARCH_COLUMN: Record<Language, string> = { nl: 'search_nl', fr: 'search_fr', de: 'search_de' }

const searchPattern = (q: string) => `%${escapeLike(normaliseForSearch(q))}%`

interface ReferenceMatches {
  types: string[]
  applications: string[]
  organizations: string[]
}

/** Reference data whose names or descriptions in `qlang` hold `q` (small tables: one cheap query). */
async function referenceMatches(db: Queryable, q: string, qlang: Language): Promise<ReferenceMatches> {
  const column = SEARCH_COLUMN[qlang]
  const like = `${column} LIKE $1 ESCAPE '\\'`
  const { rows } = await db.query<ReferenceMatches>(
    prepared(
      `SELECT array(SELECT message_type_id FROM message_types WHERE ${like}) AS types,
            array(SELECT application_id FROM sender_applications WHERE ${like}) AS applications,
            array(SELECT organization_id FROM sender_organizations WHERE ${like}) AS organizations`,
      [searchPattern(q)],
    ),
  )
  return rows[0] ?? { types: [], applications: [], organizations: [] }
}

/** The WHERE conditions of the list filters (§5.1), ANDed; empty when the caller gave none. */
function filterConditions(
  params: Params,
  scope: MessageScope,
  filters: MessageFilters,
  references?: ReferenceMatches,
): string[] {
  const conditions: string[] = []
  const zone = () => params.add(CONTRACT.filterTimeZone)
  // A calendar day D in Brussels starts at D 00:00 local time: After = on or after it, Before = before it.
  const dayStart = (date: string) => `(${params.add(date)}::date::timestamp AT TIME ZONE ${zone()})`
  if (filters.receivedAfter) conditions.push(`m.published_at >= ${dayStart(filters.receivedAfter)}`)
  if (filters.receivedBefore) conditions.push(`m.published_at < ${dayStart(filters.receivedBefore)}`)
  if (filters.expiredAfter) conditions.push(`m.expires_at >= ${dayStart(filters.expiredAfter)}`)
  if (filters.expiredBefore) conditions.push(`m.expires_at < ${dayStart(filters.expiredBefore)}`)
  if (filters.readStatus !== undefined) {
    conditions.push(filters.readStatus ? 'm.read_at IS NOT NULL' : 'm.read_at IS NULL')
  }
  if (filters.visible !== undefined) conditions.push(filters.visible ? 'm.visible' : 'NOT m.visible')
  if (filters.registeredMail !== undefined) {
    conditions.push(filters.registeredMail ? 'm.registered_mail' : 'NOT m.registered_mail')
  }
  if (filters.messageTypeId !== undefined)
    conditions.push(`m.message_type_id = ${params.add(filters.messageTypeId)}`)
  if (filters.senderOrganizationId !== undefined) {
    const number = normaliseEnterpriseNumber(filters.senderOrganizationId)
    conditions.push(`m.sender_enterprise_number = ${params.add(number)}`)
  }
  if (filters.senderApplicationId !== undefined) {
    conditions.push(`m.sender_application_id = ${params.add(filters.senderApplicationId)}`)
  }
  if (filters.partitionId !== undefined) {
    // Citizen e-Boxes have no partitions (§1): a partition filter finds nothing there.
    conditions.push(
      scope.ebox.eboxType === 'citizen' ? 'false' : `m.partition_id = ${params.add(filters.partitionId)}`,
    )
  }
  if (filters.q !== undefined && filters.qlang !== undefined) {
    // Substring of the normalised text of one language: the message's own fields (subject, business data
    // values, forTheAttentionOf), or the names/descriptions of its message type, application, organisation —
    // resolved beforehand into id lists, so that every branch of the OR has an index of its own (trigram GIN,
    // type/application/sender indexes) and the planner can BitmapOr them.
    const column = SEARCH_COLUMN[filters.qlang]
    const branches = [`m.${column} LIKE ${params.add(searchPattern(filters.q))} ESCAPE '\\'`]
    const refs = references ?? { types: [], applications: [], organizations: [] }
    if (refs.types.length > 0) branches.push(`m.message_type_id = ANY(${params.add(refs.types)}::text[])`)
    if (refs.applications.length > 0) {
      branches.push(`m.sender_application_id = ANY(${params.add(refs.applications)}::text[])`)
    }
    if (refs.organizations.length > 0) {
      branches.push(`m.sender_enterprise_number = ANY(${params.add(refs.organizations)}::text[])`)
    }
    conditions.push(`(${branches.join(' OR ')})`)
  }
  return conditions
}

/** Expired messages are left out unless an expired* filter speaks of expiry (CONTRACT.hideExpiredByDefault). */
function defaultConditions(filters: MessageFilters): string[] {
  const conditions: string[] = []
  const expiryFiltered = filters.expiredAfter !== undefined || filters.expiredBefore !== undefined
  if (CONTRACT.hideExpiredByDefault && !expiryFiltered) conditions.push('m.expires_at > now()')
  if (CONTRACT.hideInvisibleByDefault && filters.visible === undefined) conditions.push('m.visible')
  return conditions
}

/**
 * Messages listed by default in the scope, without counting rows: the trigger-kept counts minus the messages
 * expired at each row's mark (also trigger-kept, migration 0006) minus those expired since the mark (a short
 * range of messages_by_ebox_expiry). Docs: docs/contract-decisions.md, "totalItems"; BENCHMARKS.md.
 */
async function countListed(db: Queryable, scope: MessageScope): Promise<number> {
  const params = new Params()
  const counts = scopeCondition(params, scope, 'c')
  const { rows } = await db.query<{ n: string; stale: boolean }>(
    prepared(
      `SELECT coalesce(sum(c.total - c.expired - (
              SELECT count(*) FROM messages m
              WHERE m.recipient_type = c.recipient_type AND m.recipient_id = c.recipient_id
                AND m.partition_id = c.partition_id AND m.expires_at > c.expired_until
                AND m.expires_at <= now())), 0) AS n,
            coalesce(min(c.expired_until) < now() - interval '10 minutes', false) AS stale
     FROM ebox_message_counts c WHERE ${counts}`,
      params.values,
    ),
  )
  if (rows[0]?.stale) moveExpiryMarks(db, scope)
  return Number(rows[0]?.n ?? 0)
}

/** Each process moves an e-Box's expiry marks at most this often (the read above then counts a short range). */
const EXPIRY_MARK_INTERVAL_MS = 600_000
const lastExpiryMark = new Map<string, number>()

/** Moves the marks of the scope's e-Box to now, in the background (never waits for a row a writer holds). */
function moveExpiryMarks(db: Queryable, scope: MessageScope, now = Date.now()): void {
  const key = `${scope.ebox.eboxType}:${scope.ebox.id}`
  const last = lastExpiryMark.get(key)
  if (last !== undefined && now - last < EXPIRY_MARK_INTERVAL_MS) return
  lastExpiryMark.set(key, now)
  if (lastExpiryMark.size > 100_000) lastExpiryMark.clear()
  db.query('SELECT ebox_message_counts_expire($1, $2, now())', [scope.ebox.eboxType, scope.ebox.id]).catch(
    () => {
      lastExpiryMark.delete(key)
    },
  )
}

export interface Page {
  page: number
  pageSize: number
}

/**
 * A page of the caller's messages, newest publication first, ties broken by message id (descending) so pages
 * never overlap nor skip. Three queries whatever the page size (the page, its attachments, the count); with `q`,
 * one more before (the reference data it matches) and page and count in one statement.
 */
export async function listMessages(
  db: Queryable,
  scope: MessageScope,
  filters: MessageFilters,
  page: Page,
): Promise<{ items: Message[]; totalItems: number }> {
  const params = new Params()
  const search =
    filters.q !== undefined && filters.qlang !== undefined
      ? { q: filters.q, qlang: filters.qlang }
      : undefined
  const references = search ? await referenceMatches(db, search.q, search.qlang) : undefined
  const filtered = filterConditions(params, scope, filters, references)
  const where = [scopeCondition(params, scope), ...filtered, ...defaultConditions(filters)].join(' AND ')
  const countParams = params.values.slice()
  const limit = params.add(page.pageSize)
  const offset = params.add((page.page - 1) * page.pageSize)
  const ordered = 'ORDER BY m.published_at DESC, m.message_id DESC'
  // Only the default list is a named statement. Filtered lists and searches are planned on each call: the generic
  // plan of a named statement assumes an average e-Box, and on one 200 times larger it walked the whole e-Box
  // for a search (234 ms instead of 20; BENCHMARKS.md).
  const statement = (text: string, values: unknown[]) =>
    filtered.length === 0 ? prepared(text, values) : { text, values }
  let rows: MessageRow[]
  let totalItems: number
  if (search) {
    // Both the page and the count need every candidate of the search (trigram recheck, expiry): they are read
    // once, in one statement, instead of once per query (BENCHMARKS.md, search).
    const result = await db.query<MessageRow & { total: string }>(
      statement(
        `WITH matches AS MATERIALIZED (SELECT m.message_id, m.published_at FROM messages m WHERE ${where}),
              page AS (SELECT m.message_id FROM matches m ${ordered} LIMIT ${limit} OFFSET ${offset})
         SELECT t.total, ${MESSAGE_COLUMNS}
         FROM (SELECT count(*) AS total FROM matches) t
           LEFT JOIN (page JOIN messages m USING (message_id)) ON true
         ${ordered}`,
        params.values,
      ),
    )
    rows = result.rows.filter((row) => row.message_id !== null)
    totalItems = Number(result.rows[0]?.total ?? 0)
  } else {
    const unfiltered =
      filtered.length === 0 && CONTRACT.hideExpiredByDefault && !CONTRACT.hideInvisibleByDefault
    const [result, total] = await Promise.all([
      // The page's ids first (an index-only scan of messages_by_ebox for the default list, however deep the
      // page: migration 0006 includes expires_at and partition_id), then only those rows (BENCHMARKS.md).
      db.query<MessageRow>(
        statement(
          `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.message_id IN (
             SELECT m.message_id FROM messages m WHERE ${where} ${ordered} LIMIT ${limit} OFFSET ${offset})
           ${ordered}`,
          params.values,
        ),
      ),
      unfiltered
        ? countListed(db, scope)
        : db
            .query<{ n: string }>(
              statement(`SELECT count(*) AS n FROM messages m WHERE ${where}`, countParams),
            )
            .then((count) => Number(count.rows[0]?.n ?? 0)),
    ])
    rows = result.rows
    totalItems = total
  }
  const attachments = await attachmentsOf(
    db,
    rows.map((row) => row.message_id),
  )
  return { items: rows.map((row) => messageOf(row, attachments.get(row.message_id) ?? [])), totalItems }
}

// One message --------------------------------------------------------------------------------------------------

export async function getMessage(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<Message | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<MessageRow>(
    prepared(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${scopeCondition(params, scope)}
       AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  const attachments = await attachmentsOf(db, [row.message_id])
  return messageOf(row, attachments.get(row.message_id) ?? [])
}

/** The attachments of one message; undefined when the message is not in the scope. */
export async function getAttachments(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<Attachment[] | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<AttachmentRow & { in_scope: boolean }>(
    prepared(
      `SELECT ${ATTACHMENT_COLUMNS} FROM messages m LEFT JOIN attachments a USING (message_id)
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}
       ORDER BY a.position, a.attachment_id`,
      params.values,
    ),
  )
  if (rows.length === 0) return undefined
  return rows.filter((row) => row.attachment_id !== null).map(attachmentOf)
}

export interface StoredAttachmentRef {
  attachment: Attachment
  contentId: string
  sizeBytes: number
  /** The message was already read: consulting its main content changes nothing (no read-mark transaction). */
  messageRead: boolean
}

/** One attachment and where its bytes are; undefined when the message is not in the scope or has no such id. */
export async function getAttachment(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
  attachmentId: string,
): Promise<StoredAttachmentRef | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<AttachmentRow & { message_read: boolean }>(
    prepared(
      `SELECT ${ATTACHMENT_COLUMNS}, m.read_at IS NOT NULL AS message_read
       FROM messages m JOIN attachments a USING (message_id)
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}
         AND a.attachment_id = ${params.add(attachmentId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  return row
    ? {
        attachment: attachmentOf(row),
        contentId: row.content_id,
        sizeBytes: row.size_bytes,
        messageRead: row.message_read,
      }
    : undefined
}

/** The body of a message (`null` when it has none); undefined when the message is not in the scope. */
export async function getBody(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<{ body: TranslatedString | null; isMainContent: boolean } | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<{ body: Texts | null; body_main_content: boolean }>(
    prepared(
      `SELECT m.body, m.body_main_content FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  return { body: row.body ? fillTranslations(row.body) : null, isMainContent: row.body_main_content }
}

/** The payment data of a message (`null` when it has none); undefined when the message is not in the scope. */
export async function getPaymentData(
  db: Queryable,
  scope: MessageScope,
  messageId: string,
): Promise<PaymentData | null | undefined> {
  if (!isMessageId(messageId)) return undefined
  const params = new Params()
  const { rows } = await db.query<{ payment_data: StoredPaymentData | null }>(
    prepared(
      `SELECT m.payment_data FROM messages m
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)}`,
      params.values,
    ),
  )
  const row = rows[0]
  if (!row) return undefined
  return row.payment_data ? paymentDataOf(row.payment_data) : null
}

// Changes ------------------------------------------------------------------------------------------------------

/**
 * Marks a message read when its main content is consulted (§5.2): once — the first time sets read_at, later
 * reads change nothing. The first read of an enterprise e-Box's message queues EES `readDocument` in the same
 * transaction (citizen e-Boxes have no EES events). Returns whether this call marked it.
 */
export async function markRead(pool: pg.Pool, scope: MessageScope, messageId: string): Promise<boolean> {
  if (!isMessageId(messageId)) return false
  return inTransaction(pool, async (client) => {
    const params = new Params()
    const { rows } = await client.query<{
      recipient_type: string
      recipient_id: string
      published_at: Date
      expires_at: Date
      registered_mail: boolean
      message_type_id: string
      sender_enterprise_number: string
      sender_application_id: string
    }>(
      `UPDATE messages m SET read_at = now()
       WHERE ${scopeCondition(params, scope)} AND m.message_id = ${params.add(messageId)} AND m.read_at IS NULL
       RETURNING m.recipient_type, m.recipient_id, m.published_at, m.expires_at, m.registered_mail,
                 m.message_type_id, m.sender_enterprise_number, m.sender_application_id`,
      params.values,
    )
    const row = rows[0]
    if (!row) return false
    if (row.recipient_type === 'enterprise') {
      await enqueueEvent(client, 'readDocument', {
        enterpriseId: row.recipient_id,
        messageId,
        receiptDate: formatDateTime(row.published_at),
        expirationDate: formatDateTime(row.expires_at),
        registeredMail: row.registered_mail,
        messageTypeId: row.message_type_id,
        senderOrganizationId: row.sender_enterprise_number,
        senderApplicationId: row.sender_application_id,
      })
    }
    return true
  })
}

export interface MessageUpdate {
  messageId: string
  visible?: boolean
  partitionId?: string
}

/**
 * PATCH /ebox/messages (§5.3): visibility and partition moves, all or nothing. 404 when any id is not a message
 * of the scope; 400 for a partition the caller cannot move messages to. Nothing changes unless everything can.
 */
export async function updateMessages(
  pool: pg.Pool,
  scope: MessageScope,
  updates: MessageUpdate[],
): Promise<void> {
  const ids = updates.map((u) => u.messageId)
  const lower = ids.map((id) => id.toLowerCase())
  if (lower.some((id, index) => lower.indexOf(id) !== index)) {
    throw new RegistryError('INVALID_INPUT', 'A messageId is listed twice.')
  }
  // The same answer for an id of another e-Box and an id that does not exist; no id is echoed back.
  const notFound = () => new RegistryError('NOT_FOUND', 'One or more of the messages do not exist.')
  if (ids.some((id) => !isMessageId(id))) throw notFound()
  const targets = [...new Set(updates.flatMap((u) => (u.partitionId === undefined ? [] : [u.partitionId])))]
  if (targets.length > 0 && scope.ebox.eboxType === 'citizen') {
    throw new RegistryError('INVALID_INPUT', 'Citizen e-Boxes have no partitions.')
  }

  await inTransaction(pool, async (client) => {
    const params = new Params()
    const { rows } = await client.query<{ message_id: string }>(
      `SELECT m.message_id FROM messages m WHERE ${scopeCondition(params, scope)}
         AND m.message_id = ANY(${params.add(ids)}::uuid[])
       ORDER BY m.message_id FOR UPDATE`,
      params.values,
    )
    if (rows.length !== ids.length) throw notFound()
    if (targets.length > 0) {
      const known = await knownPartitions(client, scope.ebox.id)
      const refused = targets.filter(
        (target) =>
          !known.has(target) || (scope.partitions !== undefined && !scope.partitions.includes(target)),
      )
      if (refused.length > 0) {
        throw new RegistryError(
          'INVALID_INPUT',
          `Unknown partition ${refused.map((p) => `"${p}"`).join(', ')}.`,
        )
      }
    }
    const update = new Params()
    await client.query(
      `UPDATE messages m SET visible = coalesce(u.visible, m.visible),
                             partition_id = coalesce(u.partition_id, m.partition_id)
       FROM unnest(${update.add(ids)}::uuid[], ${update.add(updates.map((u) => u.visible ?? null))}::boolean[],
                   ${update.add(updates.map((u) => u.partitionId ?? null))}::text[]) AS u (message_id, visible, partition_id)
       WHERE m.message_id = u.message_id AND ${scopeCondition(update, scope)}`,
      update.values,
    )
  })
}

/**
 * Partitions of an enterprise e-Box that messages may be moved to: GENERAL, the partitions we know of (demo data,
 * partitions holding messages) and the targets of its routing rules.
 */
async function knownPartitions(client: pg.PoolClient, enterpriseNumber: string): Promise<Set<string>> {
  const { rows } = await client.query<{ partition_id: string }>(
    `SELECT partition_id FROM partitions WHERE enterprise_number = $1
     UNION SELECT partition_id FROM ebox_message_counts
           WHERE recipient_type = 'enterprise' AND recipient_id = $1 AND total > 0
     UNION SELECT partition_id FROM routing_rules WHERE enterprise_number = $1`,
    [enterpriseNumber],
  )
  return new Set([CONTRACT.generalPartition, ...rows.map((row) => row.partition_id)])
}

/** Upsert of eboxes.last_consultation_at, at most once an hour per e-Box and process (publication reads it). */
const CONSULTATION_WRITE_INTERVAL_MS = CONTRACT.consultationRecordIntervalSeconds * 1000
const lastConsultationWrite = new Map<string, number>()

export async function recordConsultation(
  db: Queryable,
  scope: MessageScope,
  now = Date.now(),
): Promise<void> {
  const key = `${scope.ebox.eboxType}:${scope.ebox.id}`
  const last = lastConsultationWrite.get(key)
  if (last !== undefined && now - last < CONSULTATION_WRITE_INTERVAL_MS) return
  lastConsultationWrite.set(key, now)
  if (lastConsultationWrite.size > 100_000) lastConsultationWrite.clear()
  try {
    await db.query(
      `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at) VALUES ($1, $2, now())
       ON CONFLICT (recipient_type, recipient_id) DO UPDATE SET last_consultation_at = now()`,
      [scope.ebox.eboxType, scope.ebox.id],
    )
  } catch (error) {
    lastConsultationWrite.delete(key)
    throw error
  }
}

/** Forgets the throttle (tests, and the certification reset that rewrites e-Boxes). */
export function forgetConsultations(): void {
  lastConsultationWrite.clear()
}
