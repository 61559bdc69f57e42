import { createCipheriv, createHash } from 'node:crypto'
import { once } from 'node:events'
import { messageSearchText, type ReferenceDataImport } from '@ebox/contract'
import { addValidity, makePng } from '@ebox/demo-data'
import { CHUNK_BYTES, importReferenceData } from '@ebox/registry'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { withClient } from './database.ts'
import {
  ATTENTION_LABELS,
  FAMILIES,
  type Family,
  fill,
  ORGANIZATION_WORDS,
  type Texts,
  TOPICS,
} from './texts.ts'

/** What to generate. Equal specs give equal data (ids, texts, dates relative to `now`). */
export interface DatasetSpec {
  seed: number
  /** Enterprise e-Boxes, the big one included. */
  eboxes: number
  /** Messages over every e-Box. */
  messages: number
  /** Messages of the big e-Box (the "large enterprise"). */
  bigEboxMessages: number
  senderOrganizations: number
  senderApplications: number
  messageTypes: number
  /** Sizes of the two attachments the download scenarios fetch ("1 MB" and "50 MB"). */
  downloadBytes: [number, number]
  /** The instant dates are relative to (ISO, whole seconds). */
  now: string
}

export const FULL_SPEC: Omit<DatasetSpec, 'now'> = {
  seed: 10,
  eboxes: 2_000,
  messages: 1_000_000,
  bigEboxMessages: 100_000,
  senderOrganizations: 50,
  senderApplications: 150,
  messageTypes: 300,
  downloadBytes: [1024 * 1024, 50 * 1024 * 1024],
}

export const SMOKE_SPEC: Omit<DatasetSpec, 'now'> = {
  seed: 10,
  eboxes: 5,
  messages: 1_200,
  bigEboxMessages: 800,
  senderOrganizations: 6,
  senderApplications: 10,
  messageTypes: 18,
  downloadBytes: [64 * 1024, 1024 * 1024],
}

/** What the scenarios need to know about the generated data. */
export interface Dataset {
  spec: DatasetSpec
  bigEbox: string
  /** An e-Box of ordinary size that receives the benchmark's publications. */
  publicationEbox: string
  /** Newest message of the big e-Box (detail scenario). */
  detailMessageId: string
  /** Messages of the big e-Box whose main attachment '1' has downloadBytes[0] / [1] bytes. */
  downloadMessageIds: [string, string]
  /** One id of each kind, referenced by the detail message. */
  referenceIds: { messageTypeId: string; senderApplicationId: string; senderOrganizationId: string }
  /** A sender application allowed to publish `publicationMessageTypeId` to enterprises. */
  publicationApplicationId: string
  publicationMessageTypeId: string
  publicationSenderOrganizationId: string
  /** A message type of the big e-Box for the filter scenario. */
  filterMessageTypeId: string
  /** The fr search term (with accents) and how many messages of the big e-Box hold it in their fr subject. */
  searchTerm: string
  searchMatches: number
}

/** Deterministic 32-bit generator (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A UUID (version 4 layout) derived from the seed and a label: the same every run. */
export function stableUuid(seed: number, label: string): string {
  const h = createHash('sha1').update(`${seed}:${label}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/** A valid enterprise number (mod 97) from an 8-digit base starting with 0 or 1. */
export function enterpriseNumber(base: number): string {
  const head = String(base).padStart(8, '0')
  return `${head}${String(97 - (base % 97)).padStart(2, '0')}`
}

/** Deterministic pseudo-random bytes (AES-256-CTR over zeros, keyed by seed and label). */
function stableBytes(seed: number, label: string, size: number): Buffer {
  const key = createHash('sha256').update(`${seed}:${label}`).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()])
}

const DAY = 86_400_000

/** The bytes of download attachment `index` (0: downloadBytes[0], 1: downloadBytes[1]), as stored. */
export function downloadContent(spec: DatasetSpec, index: 0 | 1): Buffer {
  const size = spec.downloadBytes[index]
  const parts: Buffer[] = []
  for (let at = 0, seq = 0; at < size; at += CHUNK_BYTES, seq++)
    parts.push(stableBytes(spec.seed, `download-${index + 1}:${seq}`, Math.min(CHUNK_BYTES, size - at)))
  return Buffer.concat(parts)
}

/** Ids of the generated reference data and e-Boxes (pure function of the spec). */
function layout(spec: DatasetSpec) {
  const organizations = Array.from({ length: spec.senderOrganizations }, (_, i) =>
    enterpriseNumber(2_000_000 + i * 7),
  )
  const eboxes = Array.from({ length: spec.eboxes }, (_, i) => enterpriseNumber(4_000_000 + i * 13))
  // Message types: one family each, round robin, so every family exists.
  const types = Array.from({ length: spec.messageTypes }, (_, i) => ({
    id: `bench-type-${String(i + 1).padStart(4, '0')}`,
    family: FAMILIES[i % FAMILIES.length] as Family,
    variant: Math.floor(i / FAMILIES.length) + 1,
  }))
  const applications = Array.from({ length: spec.senderApplications }, (_, i) => ({
    id: `bench-app-${String(i + 1).padStart(4, '0')}`,
    organization: organizations[i % organizations.length] as string,
    // Each application publishes a handful of types, covering every family between them.
    types: Array.from(
      { length: Math.min(6, types.length) },
      (_, k) => types[(i * 5 + k * 7) % types.length]!,
    ),
  }))
  return { organizations, eboxes, types, applications }
}

function referenceData(ids: ReturnType<typeof layout>): ReferenceDataImport {
  const png = (i: number) => makePng(48, [(i * 37) % 256, (i * 91) % 256, (i * 53) % 256]).toString('base64')
  return {
    senderOrganizations: ids.organizations.map((organizationId, i) => {
      const word = ORGANIZATION_WORDS[i % ORGANIZATION_WORDS.length]!
      const topic = TOPICS[i % TOPICS.length]!
      const short = `${i + 1}`
      return {
        organizationId,
        organizationShortName: { nl: `ORG-${short}`, fr: `ORG-${short}`, de: `ORG-${short}` },
        organizationLongName: {
          nl: `${word.nl} voor ${topic.nl} ${short}`,
          fr: `${word.fr} de ${topic.fr} ${short}`,
          de: `${word.de} für ${topic.de} ${short}`,
        },
        organizationUrl: {
          nl: `https://org${short}.example/nl`,
          fr: `https://org${short}.example/fr`,
          de: `https://org${short}.example/de`,
        },
        contactBusiness: `contact@org${short}.example, +32 2 000 00 00`,
        organizationLogos:
          i % 3 === 0
            ? (['nl', 'fr', 'de'] as const).map((language, k) => ({
                imageId: `logo-${language}`,
                mediaType: 'image/png' as const,
                language,
                contentBase64: png(i * 3 + k),
              }))
            : [{ imageId: 'logo', mediaType: 'image/png' as const, contentBase64: png(i) }],
      }
    }),
    messageTypes: ids.types.map((type) => ({
      messageTypeId: type.id,
      messageTypeName: suffix(type.family.name, type.variant),
      ...(type.family.description ? { messageTypeDescription: type.family.description } : {}),
      validityPeriod: type.family.validity,
    })),
    senderApplications: ids.applications.map((application, i) => {
      const topic = TOPICS[i % TOPICS.length]!
      return {
        applicationId: application.id,
        senderOrganizationId: application.organization,
        applicationName: {
          nl: `Toepassing ${topic.nl} ${i + 1}`,
          fr: `Application ${topic.fr} ${i + 1}`,
          de: `Anwendung ${topic.de} ${i + 1}`,
        },
        applicationDescription: {
          nl: `Berichten over ${topic.nl}`,
          fr: `Courriers relatifs à ${topic.fr}`,
          de: `Schreiben über ${topic.de}`,
        },
        applicationLogos: [
          { imageId: 'logo', mediaType: 'image/png' as const, contentBase64: png(1000 + i) },
        ],
        messageTypes: application.types.map((type) => ({
          messageTypeId: type.id,
          recipientTypes: ['enterprise' as const, 'citizen' as const],
        })),
      }
    }),
  }
}

function suffix(texts: Texts, variant: number): Texts {
  return variant === 1
    ? texts
    : { nl: `${texts.nl} (${variant})`, fr: `${texts.fr} (${variant})`, de: `${texts.de} (${variant})` }
}

/** COPY text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyValue(value: string | number | boolean | null): string {
  if (value === null) return '\\N'
  if (typeof value !== 'string') return String(value)
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  )
}

interface Blob {
  contentId: string
  size: number
  sha256: string
  mediaType: string
  extension: string
}

/** Writes one content in the content store's layout (contents + chunks of CHUNK_BYTES). */
async function writeBlob(client: pg.Client, seed: number, label: string, size: number, mediaType: string) {
  const contentId = stableUuid(seed, `content:${label}`)
  const hash = createHash('sha256')
  await client.query('INSERT INTO contents (content_id, size_bytes, sha256) VALUES ($1, $2, $3)', [
    contentId,
    size,
    '',
  ])
  for (let at = 0, seq = 0; at < size || (size === 0 && seq === 0); at += CHUNK_BYTES, seq++) {
    const chunk = stableBytes(seed, `${label}:${seq}`, Math.min(CHUNK_BYTES, size - at))
    hash.update(chunk)
    await client.query('INSERT INTO content_chunks (content_id, seq, data) VALUES ($1, $2, $3)', [
      contentId,
      seq,
      chunk,
    ])
    if (size === 0) break
  }
  const sha256 = hash.digest('base64url')
  await client.query('UPDATE contents SET sha256 = $2 WHERE content_id = $1', [contentId, sha256])
  const extension = mediaType === 'text/csv' ? 'csv' : 'pdf'
  return { contentId, size, sha256, mediaType, extension } satisfies Blob
}

const MESSAGE_COLUMNS = [
  'message_id',
  'recipient_type',
  'recipient_id',
  'partition_id',
  'sender_enterprise_number',
  'sender_partition',
  'sender_application_id',
  'message_type_id',
  'subject',
  'published_at',
  'expires_at',
  'read_at',
  'visible',
  'registered_mail',
  'reply_authorized',
  'body_main_content',
  'body',
  'for_attention_ssin',
  'for_attention_label',
  'business_data',
  'payment_data',
  'search_nl',
  'search_fr',
  'search_de',
  'published_by_client',
]
const ATTACHMENT_COLUMNS = [
  'message_id',
  'attachment_id',
  'position',
  'title',
  'file_name',
  'main_content',
  'media_type',
  'size_bytes',
  'digest',
  'signed',
  'content_id',
]

const BIG_EBOX_PARTITIONS = ['GENERAL', 'GENERAL', 'GENERAL', 'accounting', 'hr', 'legal']

/**
 * Generates the data set into the (migrated, empty) database of `url`, unless the same spec is already there.
 * Messages and attachments go in by COPY with the secondary indexes dropped and rebuilt afterwards; the count
 * triggers stay on, so every derived table is exactly what publication would have produced.
 */
export async function generateDataset(
  url: string,
  spec: DatasetSpec,
  log: (line: string) => void = () => {},
): Promise<Dataset> {
  const ids = layout(spec)
  const bigEbox = ids.eboxes[0]!
  const publicationEbox = ids.eboxes[ids.eboxes.length - 1]!
  const now = new Date(spec.now)
  const familyWeights = FAMILIES.reduce((sum, f) => sum + f.weight, 0)
  const typesByFamily = new Map<string, typeof ids.types>()
  for (const type of ids.types)
    typesByFamily.set(type.family.key, [...(typesByFamily.get(type.family.key) ?? []), type])
  const applicationsByType = new Map<string, (typeof ids.applications)[number][]>()
  for (const application of ids.applications)
    for (const type of application.types)
      applicationsByType.set(type.id, [...(applicationsByType.get(type.id) ?? []), application])

  const existing = await withClient(url, async (client) => {
    await client.query(
      'CREATE TABLE IF NOT EXISTS bench_dataset (spec jsonb NOT NULL, dataset jsonb NOT NULL)',
    )
    const { rows } = await client.query<{ spec: DatasetSpec; dataset: Dataset }>(
      'SELECT spec, dataset FROM bench_dataset',
    )
    return rows[0]
  })
  const canonical = (value: DatasetSpec) => JSON.stringify(value, Object.keys(value).sort())
  if (existing && canonical(existing.spec) === canonical(spec)) {
    log('data set already generated')
    return existing.dataset
  }
  if (existing) throw new Error('the benchmark database holds another data set: drop it first (--fresh)')

  const started = Date.now()
  const pool = new pg.Pool({ connectionString: url, max: 3 })
  try {
    // Reference data, through the registry's own import.
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await importReferenceData(client, referenceData(ids))
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    } finally {
      client.release()
    }
    log(
      `reference data: ${ids.organizations.length} organisations, ${ids.applications.length} applications, ${ids.types.length} types`,
    )

    await withClient(url, async (c) => {
      await c.query(
        `INSERT INTO eboxes (recipient_type, recipient_id, last_consultation_at, created_at)
         SELECT 'enterprise', id, $2::timestamptz - interval '1 day', $2::timestamptz - interval '3 years'
         FROM unnest($1::text[]) AS id`,
        [ids.eboxes, now],
      )
      await c.query(
        `INSERT INTO partitions (enterprise_number, partition_id)
         SELECT id, 'GENERAL' FROM unnest($1::text[]) AS id
         UNION ALL SELECT $2, p FROM unnest($3::text[]) AS p`,
        [ids.eboxes, bigEbox, [...new Set(BIG_EBOX_PARTITIONS)].filter((p) => p !== 'GENERAL')],
      )
    })

    // Contents: a few shared documents referenced by every attachment, plus the two download sizes.
    const blobs = await withClient(url, async (c) => {
      await c.query('BEGIN')
      const shared = [
        await writeBlob(c, spec.seed, 'letter-small', 38 * 1024, 'application/pdf'),
        await writeBlob(c, spec.seed, 'letter', 124 * 1024, 'application/pdf'),
        await writeBlob(c, spec.seed, 'report', 420 * 1024, 'application/pdf'),
        await writeBlob(c, spec.seed, 'listing', 9 * 1024, 'text/csv'),
      ]
      const downloads = [
        await writeBlob(c, spec.seed, 'download-1', spec.downloadBytes[0], 'application/pdf'),
        await writeBlob(c, spec.seed, 'download-2', spec.downloadBytes[1], 'application/pdf'),
      ]
      await c.query('COMMIT')
      return { shared, downloads }
    })

    // Secondary indexes of the bulk tables are rebuilt after the load (much faster than maintaining them).
    const indexes = await withClient(url, async (c) => {
      const { rows } = await c.query<{ name: string; definition: string }>(
        `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relname IN ('messages', 'attachments') AND t.relnamespace = 'public'::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)`,
      )
      for (const row of rows) await c.query(`DROP INDEX "${row.name}"`)
      return rows
    })

    const random = prng(spec.seed)
    const others = ids.eboxes.slice(1)
    const span = 400 * DAY
    let detailIndex = -1
    const downloadIndexes: number[] = []
    let searchMatches = 0
    const bigTotal = spec.bigEboxMessages
    let bigSeen = 0
    const searchFamily = FAMILIES.find((f) => f.key === 'direct-debit')!

    // Each batch is one COPY of messages, then one of their attachments, committed: the count trigger's upserts
    // of one e-Box's row stay short (a single transaction updating one row 100,000 times is quadratic). The next
    // batch is generated while the previous one is written.
    const copyClient = await pool.connect()
    let writing: Promise<void> = Promise.resolve()
    try {
      let messageLines: string[] = []
      let attachmentLines: string[] = []
      const copy = async (table: string, columns: string[], text: string) => {
        const stream = copyClient.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`))
        const done = once(stream, 'finish')
        stream.end(text)
        await done
      }
      const flush = async () => {
        const messagesText = messageLines.join('')
        const attachmentsText = attachmentLines.join('')
        messageLines = []
        attachmentLines = []
        await writing
        writing = (async () => {
          await copy('messages', MESSAGE_COLUMNS, messagesText)
          await copy('attachments', ATTACHMENT_COLUMNS, attachmentsText)
        })()
        // Unhandled until awaited: surface a failure at the next flush at the latest.
        writing.catch(() => {})
      }

      for (let i = 0; i < spec.messages; i++) {
        // The big e-Box's messages are spread evenly over the timeline, among everybody else's.
        const big =
          Math.floor(((i + 1) * bigTotal) / spec.messages) > Math.floor((i * bigTotal) / spec.messages)
        const recipient = big ? bigEbox : (others[Math.floor(random() * others.length)] ?? bigEbox)
        const publishedAt = new Date(
          Math.floor((now.getTime() - span + (span * (i + random())) / spec.messages) / 1000) * 1000,
        )
        if (publishedAt.getTime() >= now.getTime()) publishedAt.setTime(now.getTime() - 1000)
        let pick = random() * familyWeights
        let family = FAMILIES[0]!
        for (const f of FAMILIES) {
          pick -= f.weight
          if (pick < 0) {
            family = f
            break
          }
        }
        const familyTypes = typesByFamily.get(family.key)!
        const type = familyTypes[Math.floor(random() * familyTypes.length)]!
        const applications = applicationsByType.get(type.id) ?? ids.applications
        const application = applications[Math.floor(random() * applications.length)]!
        const n = String(100_000 + Math.floor(random() * 900_000))
        const quarter = Math.floor(publishedAt.getUTCMonth() / 3) + 1
        const p =
          family.key === 'invoice'
            ? publishedAt.toISOString().slice(0, 10)
            : `${quarter}/${publishedAt.getUTCFullYear()}`
        const subject = fill(family.subject, n, p)
        const businessData = (family.businessData ?? []).map((item) => ({
          key: item.key,
          values: [fill(item.values, n, p)],
        }))
        const attention =
          random() < 0.1
            ? {
                label: ATTENTION_LABELS[Math.floor(random() * ATTENTION_LABELS.length)]!,
                ...(random() < 0.3 ? { ssin: '85073003328' } : {}),
              }
            : undefined
        const search = messageSearchText({
          subject,
          businessDataList: businessData,
          forTheAttentionOf: attention,
        })
        const ageDays = (now.getTime() - publishedAt.getTime()) / DAY
        const read = random() < (ageDays > 30 ? 0.88 : 0.45)
        const readAt = read
          ? new Date(
              Math.min(publishedAt.getTime() + Math.floor(random() * 72) * 3_600_000, now.getTime() - 1000),
            )
          : null
        const expiresAt = addValidity(publishedAt, family.validity)
        const fromEnd = big ? bigTotal - bigSeen - 1 : -1
        const isDownload = fromEnd === 1 || fromEnd === 2
        const bodyMain = family.body === true && !isDownload
        const payment =
          family.payment && random() < 0.5
            ? {
                paymentDataId: `PAY-${n}`,
                amount: Math.round(random() * 500_000) / 100,
                vatAmount: Math.round(random() * 100_000) / 100,
                currency: 'EUR',
                dueDate: new Date(publishedAt.getTime() + 30 * DAY).toISOString(),
                iban: 'BE68539007547034',
                bic: 'BBRUBEBB',
                reference: { type: 'structured', value: `+++${n.slice(0, 3)}/${n.slice(3)}/00097+++` },
              }
            : null
        const messageId = stableUuid(spec.seed, `message:${i}`)
        const partition = big
          ? BIG_EBOX_PARTITIONS[Math.floor(random() * BIG_EBOX_PARTITIONS.length)]!
          : 'GENERAL'
        if (big) {
          bigSeen++
          if (family === searchFamily) searchMatches++
          // The newest messages of the big e-Box have roles in the scenarios.
          if (fromEnd === 0) detailIndex = i
        }
        const body = bodyMain
          ? {
              nl: `<p>Beste klant,</p><p>${subject.nl}. Meer informatie op onze website.</p>`,
              fr: `<p>Chère cliente, cher client,</p><p>${subject.fr}. Plus d’informations sur notre site.</p>`,
              de: `<p>Sehr geehrte Kundin, sehr geehrter Kunde,</p><p>${subject.de}. Weitere Informationen auf unserer Website.</p>`,
            }
          : null
        messageLines.push(
          `${[
            messageId,
            'enterprise',
            recipient,
            partition,
            application.organization,
            null,
            application.id,
            type.id,
            JSON.stringify(subject),
            publishedAt.toISOString(),
            expiresAt.toISOString(),
            readAt ? readAt.toISOString() : null,
            random() < 0.97,
            family.registered === true,
            random() < 0.1,
            bodyMain,
            body ? JSON.stringify(body) : null,
            attention?.ssin ?? null,
            attention?.label ?? null,
            JSON.stringify(businessData),
            payment ? JSON.stringify(payment) : null,
            search.nl,
            search.fr,
            search.de,
            'bench-sender',
          ]
            .map(copyValue)
            .join('\t')}\n`,
        )

        // Attachments: a main document (unless the body is the main content) and 0-2 annexes.
        const attachments: { blob: Blob; main: boolean; title?: Texts }[] = []
        if (isDownload) {
          downloadIndexes.push(i)
          attachments.push({ blob: blobs.downloads[fromEnd === 2 ? 0 : 1]!, main: true })
        } else if (!bodyMain) {
          attachments.push({ blob: blobs.shared[Math.floor(random() * 3)]!, main: true })
        }
        const annexes = random() < 0.35 ? (random() < 0.3 ? 2 : 1) : 0
        for (let k = 0; k < annexes; k++)
          attachments.push({
            blob: blobs.shared[k === 0 ? 3 : 0]!,
            main: false,
            title: { nl: `Bijlage ${k + 1}`, fr: `Annexe ${k + 1}`, de: `Anlage ${k + 1}` },
          })
        attachments.forEach((attachment, k) => {
          attachmentLines.push(
            `${[
              messageId,
              String(k + 1),
              k + 1,
              attachment.title ? JSON.stringify(attachment.title) : null,
              `${family.key}-${n}${k === 0 ? '' : `-annexe-${k}`}.${attachment.blob.extension}`,
              attachment.main,
              attachment.blob.mediaType,
              attachment.blob.size,
              attachment.blob.sha256,
              random() < 0.1,
              attachment.blob.contentId,
            ]
              .map(copyValue)
              .join('\t')}\n`,
          )
        })
        if (messageLines.length >= 20_000) await flush()
        if (i > 0 && i % 100_000 === 0)
          log(`  ${i} messages (${Math.round((Date.now() - started) / 1000)} s)`)
      }
      await flush()
      await writing
    } finally {
      await writing.catch(() => {})
      copyClient.release()
    }
    log(
      `messages copied (${Math.round((Date.now() - started) / 1000)} s); rebuilding ${indexes.length} indexes`,
    )

    await Promise.all(
      [0, 1].map((lane) =>
        withClient(url, async (c) => {
          await c.query("SET maintenance_work_mem = '512MB'")
          for (const [k, index] of indexes.entries()) if (k % 2 === lane) await c.query(index.definition)
        }),
      ),
    )
    await withClient(url, (c) =>
      c.query('VACUUM (ANALYZE) messages, attachments, contents, content_chunks, ebox_message_counts'),
    )
    log(`indexes rebuilt and tables vacuumed (${Math.round((Date.now() - started) / 1000)} s)`)

    const idOf = (index: number) => stableUuid(spec.seed, `message:${index}`)
    const detail = await withClient(url, async (c) => {
      const { rows } = await c.query<{
        message_type_id: string
        sender_application_id: string
        sender_enterprise_number: string
      }>(
        'SELECT message_type_id, sender_application_id, sender_enterprise_number FROM messages WHERE message_id = $1',
        [idOf(detailIndex)],
      )
      return rows[0]!
    })
    const publicationApplication = ids.applications[0]!
    const filterType = typesByFamily.get('invoice')![0]!
    const dataset: Dataset = {
      spec,
      bigEbox,
      publicationEbox,
      detailMessageId: idOf(detailIndex),
      downloadMessageIds: [idOf(downloadIndexes[0]!), idOf(downloadIndexes[1]!)],
      referenceIds: {
        messageTypeId: detail.message_type_id,
        senderApplicationId: detail.sender_application_id,
        senderOrganizationId: detail.sender_enterprise_number,
      },
      publicationApplicationId: publicationApplication.id,
      publicationMessageTypeId: publicationApplication.types[0]!.id,
      publicationSenderOrganizationId: publicationApplication.organization,
      filterMessageTypeId: filterType.id,
      searchTerm: 'prélèvement',
      searchMatches,
    }
    await withClient(url, (c) =>
      c.query('INSERT INTO bench_dataset (spec, dataset) VALUES ($1, $2)', [
        JSON.stringify(spec),
        JSON.stringify(dataset),
      ]),
    )
    log(`data set ready in ${Math.round((Date.now() - started) / 1000)} s`)
    return dataset
  } finally {
    await pool.end()
  }
}
