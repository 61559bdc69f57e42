import {
  fillTranslations,
  imageContentHref,
  isValidEnterpriseNumber,
  type MessageType,
  type PartialTranslatedString,
  ReferenceDataImport,
  RegistryError,
  referenceSearchText,
  type SenderApplication,
  type SenderOrganization,
} from '@ebox/contract'
import type { Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type pg from 'pg'

/**
 * Reference data (§5.4, §6.5): message types, sender applications, sender organisations and their logos.
 * Read by the consultation routes; written only by `registry refdata import` and the demo seed.
 */

/** Notified by every import at its commit; each registry process clears its reference-data cache on it. */
export const REFERENCE_DATA_CHANNEL = 'reference_data_changed'

type Queryable = pg.Pool | pg.PoolClient
type Texts = PartialTranslatedString | null
type Contact = { email?: string; phone?: string; url?: string }
type ImageOwner = 'organization' | 'application'
type ImageOut = SenderOrganization['organizationLogos'][number]

export interface Paging {
  page: number
  pageSize: number
}

/** One page of a reference-data list and the list's size: `select` ordered by `orderBy`, counted over `table`. */
async function pageOf<Row extends pg.QueryResultRow, Item>(
  db: Queryable,
  query: { select: string; orderBy: string; table: string },
  paging: Paging,
  toItem: (row: Row) => Item,
) {
  const [page, count] = await Promise.all([
    db.query<Row>(`${query.select} ORDER BY ${query.orderBy} LIMIT $1 OFFSET $2`, [
      paging.pageSize,
      (paging.page - 1) * paging.pageSize,
    ]),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${query.table}`),
  ])
  return { items: page.rows.map(toItem), totalItems: count.rows[0]?.n ?? 0 }
}

const optionalTexts = (value: Texts | undefined) => (value ? fillTranslations(value) : undefined)
const optionalContact = (value: Contact | null) =>
  value && Object.keys(value).length > 0 ? value : undefined

interface ImageRow {
  image_id: string
  language: 'nl' | 'fr' | 'de' | null
  media_type: string
  size_bytes: number
}

const IMAGES_OF = (kind: ImageOwner, idColumn: string) => `
  coalesce((SELECT json_agg(json_build_object('image_id', i.image_id, 'language', i.language,
                 'media_type', i.media_type, 'size_bytes', octet_length(i.content)) ORDER BY i.image_id)
            FROM reference_images i WHERE i.owner_kind = '${kind}' AND i.owner_id = ${idColumn}), '[]')`

function images(owner: ImageOwner, ownerId: string, rows: ImageRow[]): ImageOut[] {
  return rows.map((row) => ({
    imageId: row.image_id,
    size: row.size_bytes / 1024,
    mediaType: row.media_type,
    contentHref: imageContentHref(
      owner === 'organization' ? 'senderOrganizations' : 'senderApplications',
      ownerId,
      row.image_id,
    ),
    ...(row.language ? { language: row.language } : {}),
  }))
}

// Message types ------------------------------------------------------------------------------------------------

interface MessageTypeRow {
  message_type_id: string
  name: PartialTranslatedString
  description: Texts
  validity_number: number
  validity_unit: 'day' | 'month' | 'year'
  organization_ids: string[]
  application_ids: string[]
}

const MESSAGE_TYPE_SELECT = `
  SELECT t.message_type_id, t.name, t.description, t.validity_number, t.validity_unit,
    array(SELECT DISTINCT a.organization_id FROM sender_configurations c
          JOIN sender_applications a USING (application_id)
          WHERE c.message_type_id = t.message_type_id ORDER BY 1) AS organization_ids,
    array(SELECT DISTINCT c.application_id FROM sender_configurations c
          WHERE c.message_type_id = t.message_type_id ORDER BY 1) AS application_ids
  FROM message_types t`

function messageTypeOf(row: MessageTypeRow): MessageType {
  return {
    messageTypeId: row.message_type_id,
    messageTypeName: fillTranslations(row.name),
    messageTypeDescription: optionalTexts(row.description),
    validityPeriod: { validityPeriodNumber: row.validity_number, validityPeriodUnit: row.validity_unit },
    senderOrganizationIds: row.organization_ids,
    senderApplicationIds: row.application_ids,
  }
}

export function listMessageTypes(db: Queryable, paging: Paging) {
  return pageOf(
    db,
    { select: MESSAGE_TYPE_SELECT, orderBy: 't.message_type_id', table: 'message_types' },
    paging,
    messageTypeOf,
  )
}

export async function getMessageType(db: Queryable, id: string): Promise<MessageType | undefined> {
  const { rows } = await db.query<MessageTypeRow>(`${MESSAGE_TYPE_SELECT} WHERE t.message_type_id = $1`, [id])
  return rows[0] ? messageTypeOf(rows[0]) : undefined
}

// Sender applications ------------------------------------------------------------------------------------------

interface ApplicationRow {
  application_id: string
  organization_id: string
  name: PartialTranslatedString
  description: Texts
  url: Texts
  contact_business: Contact | null
  contact_technical: Contact | null
  message_type_ids: string[]
  images: ImageRow[]
}

const APPLICATION_SELECT = `
  SELECT a.application_id, a.organization_id, a.name, a.description, a.url, a.contact_business,
    a.contact_technical,
    array(SELECT DISTINCT c.message_type_id FROM sender_configurations c
          WHERE c.application_id = a.application_id ORDER BY 1) AS message_type_ids,
    ${IMAGES_OF('application', 'a.application_id')} AS images
  FROM sender_applications a`

function applicationOf(row: ApplicationRow): SenderApplication {
  return {
    applicationId: row.application_id,
    applicationName: fillTranslations(row.name),
    applicationDescription: optionalTexts(row.description),
    applicationLogos: images('application', row.application_id, row.images),
    applicationUrl: optionalTexts(row.url),
    senderOrganizationIds: [row.organization_id],
    messageTypeIds: row.message_type_ids,
    contactBusiness: optionalContact(row.contact_business),
    contactTechnical: optionalContact(row.contact_technical),
  }
}

export function listSenderApplications(db: Queryable, paging: Paging) {
  return pageOf(
    db,
    { select: APPLICATION_SELECT, orderBy: 'a.application_id', table: 'sender_applications' },
    paging,
    applicationOf,
  )
}

export async function getSenderApplication(
  db: Queryable,
  id: string,
): Promise<SenderApplication | undefined> {
  const { rows } = await db.query<ApplicationRow>(`${APPLICATION_SELECT} WHERE a.application_id = $1`, [id])
  return rows[0] ? applicationOf(rows[0]) : undefined
}

// Sender organisations -----------------------------------------------------------------------------------------

interface OrganizationRow {
  organization_id: string
  short_name: PartialTranslatedString
  long_name: Texts
  url: Texts
  contact_business: Contact | null
  contact_technical: Contact | null
  application_ids: string[]
  message_type_ids: string[]
  images: ImageRow[]
}

const ORGANIZATION_SELECT = `
  SELECT o.organization_id, o.short_name, o.long_name, o.url, o.contact_business, o.contact_technical,
    array(SELECT a.application_id FROM sender_applications a
          WHERE a.organization_id = o.organization_id ORDER BY 1) AS application_ids,
    array(SELECT DISTINCT c.message_type_id FROM sender_configurations c
          JOIN sender_applications a USING (application_id)
          WHERE a.organization_id = o.organization_id ORDER BY 1) AS message_type_ids,
    ${IMAGES_OF('organization', 'o.organization_id')} AS images
  FROM sender_organizations o`

function organizationOf(row: OrganizationRow): SenderOrganization {
  return {
    organizationId: row.organization_id,
    organizationShortName: fillTranslations(row.short_name),
    organizationLongName: optionalTexts(row.long_name),
    organizationLogos: images('organization', row.organization_id, row.images),
    organizationUrl: optionalTexts(row.url),
    senderApplicationIds: row.application_ids,
    messageTypeIds: row.message_type_ids,
    contactBusiness: optionalContact(row.contact_business),
    contactTechnical: optionalContact(row.contact_technical),
  }
}

export function listSenderOrganizations(db: Queryable, paging: Paging) {
  return pageOf(
    db,
    { select: ORGANIZATION_SELECT, orderBy: 'o.organization_id', table: 'sender_organizations' },
    paging,
    organizationOf,
  )
}

export async function getSenderOrganization(
  db: Queryable,
  id: string,
): Promise<SenderOrganization | undefined> {
  const { rows } = await db.query<OrganizationRow>(`${ORGANIZATION_SELECT} WHERE o.organization_id = $1`, [
    id,
  ])
  return rows[0] ? organizationOf(rows[0]) : undefined
}

// Images -------------------------------------------------------------------------------------------------------

export async function getImage(
  db: Queryable,
  owner: ImageOwner,
  ownerId: string,
  imageId: string,
): Promise<{ mediaType: string; content: Buffer } | undefined> {
  const { rows } = await db.query<{ media_type: string; content: Buffer }>(
    `SELECT media_type, content FROM reference_images WHERE owner_kind = $1 AND owner_id = $2 AND image_id = $3`,
    [owner, ownerId, imageId],
  )
  return rows[0] ? { mediaType: rows[0].media_type, content: rows[0].content } : undefined
}

// Import -------------------------------------------------------------------------------------------------------

/** An import file that cannot be applied; the message names the entry at fault. */
export class ReferenceDataImportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReferenceDataImportError'
  }
}

const ENTRY_IDS: Record<string, string> = {
  senderOrganizations: 'organizationId',
  senderApplications: 'applicationId',
  messageTypes: 'messageTypeId',
}

/** Names the entry a JSON pointer falls in: `senderApplications[2] "tax-on-web"`. */
function entryName(data: unknown, path: string): string {
  const [, collection, index] = path.split('/')
  if (!collection) return 'the file'
  if (index === undefined) return collection
  const entry = (data as Record<string, unknown[]>)[collection]?.[Number(index)] as
    | Record<string, unknown>
    | undefined
  const idKey = ENTRY_IDS[collection]
  const id = idKey && typeof entry?.[idKey] === 'string' ? ` "${entry[idKey]}"` : ''
  return `${collection}[${index}]${id}`
}

/** Validates an import file as a whole; throws ReferenceDataImportError naming the first bad entry. */
export function parseReferenceDataImport(data: unknown): ReferenceDataImport {
  const error = Value.Errors(ReferenceDataImport, data).First()
  if (error) {
    const where = error.path.split('/').slice(3).join('/')
    throw new ReferenceDataImportError(
      `${entryName(data, error.path)}: ${where ? `${where}: ` : ''}${error.message}`,
    )
  }
  const file = data as ReferenceDataImport
  const seen = (collection: string, ids: string[]) => {
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index)
    if (duplicate) throw new ReferenceDataImportError(`${collection}: "${duplicate}" appears twice`)
  }
  seen(
    'senderOrganizations',
    (file.senderOrganizations ?? []).map((o) => o.organizationId),
  )
  seen(
    'senderApplications',
    (file.senderApplications ?? []).map((a) => a.applicationId),
  )
  seen(
    'messageTypes',
    (file.messageTypes ?? []).map((t) => t.messageTypeId),
  )
  file.senderOrganizations?.forEach((organization, index) => {
    if (!isValidEnterpriseNumber(organization.organizationId)) {
      throw new ReferenceDataImportError(
        `senderOrganizations[${index}] "${organization.organizationId}": organizationId fails the enterprise number check (mod 97)`,
      )
    }
  })
  return file
}

async function existing(client: pg.PoolClient, table: string, column: string, ids: string[]) {
  if (ids.length === 0) return new Set<string>()
  const { rows } = await client.query<{ id: string }>(
    `SELECT ${column} AS id FROM ${table} WHERE ${column} = ANY($1)`,
    [ids],
  )
  return new Set(rows.map((row) => row.id))
}

type ImageToImport = NonNullable<
  Static<typeof ReferenceDataImport>['senderOrganizations']
>[number]['organizationLogos']

async function replaceImages(client: pg.PoolClient, owner: ImageOwner, ownerId: string, list: ImageToImport) {
  if (list === undefined) return
  await client.query('DELETE FROM reference_images WHERE owner_kind = $1 AND owner_id = $2', [owner, ownerId])
  for (const image of list) {
    await client.query(
      `INSERT INTO reference_images (owner_kind, owner_id, image_id, language, media_type, content)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        owner,
        ownerId,
        image.imageId,
        image.language ?? null,
        image.mediaType,
        Buffer.from(image.contentBase64, 'base64'),
      ],
    )
  }
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value))

/**
 * Applies a validated import inside the caller's transaction: every entry is created or replaced whole (logos
 * and an application's message types included when the entry gives them), entries not named are left alone.
 * Cross references (an application's organisation, its message types) must resolve in the file or the
 * database, else ReferenceDataImportError names the entry. Notifies REFERENCE_DATA_CHANNEL.
 */
export async function importReferenceData(
  client: pg.PoolClient,
  file: ReferenceDataImport,
): Promise<{ senderOrganizations: number; senderApplications: number; messageTypes: number }> {
  const organizations = file.senderOrganizations ?? []
  const applications = file.senderApplications ?? []
  const types = file.messageTypes ?? []

  const knownOrganizations = await existing(
    client,
    'sender_organizations',
    'organization_id',
    applications.map((a) => a.senderOrganizationId),
  )
  for (const o of organizations) knownOrganizations.add(o.organizationId)
  const knownTypes = await existing(
    client,
    'message_types',
    'message_type_id',
    applications.flatMap((a) => (a.messageTypes ?? []).map((t) => t.messageTypeId)),
  )
  for (const t of types) knownTypes.add(t.messageTypeId)
  applications.forEach((application, index) => {
    const name = `senderApplications[${index}] "${application.applicationId}"`
    if (!knownOrganizations.has(application.senderOrganizationId)) {
      throw new ReferenceDataImportError(
        `${name}: senderOrganizationId "${application.senderOrganizationId}" is not a known sender organisation`,
      )
    }
    const unknown = (application.messageTypes ?? []).find((t) => !knownTypes.has(t.messageTypeId))
    if (unknown) {
      throw new ReferenceDataImportError(
        `${name}: messageTypeId "${unknown.messageTypeId}" is not a known message type`,
      )
    }
  })

  for (const o of organizations) {
    const search = referenceSearchText([o.organizationShortName, o.organizationLongName])
    await client.query(
      `INSERT INTO sender_organizations (organization_id, short_name, long_name, url, contact_business,
         contact_technical, search_nl, search_fr, search_de, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (organization_id) DO UPDATE SET short_name = excluded.short_name,
         long_name = excluded.long_name, url = excluded.url, contact_business = excluded.contact_business,
         contact_technical = excluded.contact_technical, search_nl = excluded.search_nl,
         search_fr = excluded.search_fr, search_de = excluded.search_de, updated_at = now()`,
      [
        o.organizationId,
        json(o.organizationShortName),
        json(o.organizationLongName),
        json(o.organizationUrl),
        json(o.contactBusiness),
        json(o.contactTechnical),
        search.nl,
        search.fr,
        search.de,
      ],
    )
    await replaceImages(client, 'organization', o.organizationId, o.organizationLogos)
  }
  for (const t of types) {
    const search = referenceSearchText([t.messageTypeName, t.messageTypeDescription])
    await client.query(
      `INSERT INTO message_types (message_type_id, name, description, validity_number, validity_unit,
         search_nl, search_fr, search_de, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
       ON CONFLICT (message_type_id) DO UPDATE SET name = excluded.name, description = excluded.description,
         validity_number = excluded.validity_number, validity_unit = excluded.validity_unit,
         search_nl = excluded.search_nl, search_fr = excluded.search_fr, search_de = excluded.search_de,
         updated_at = now()`,
      [
        t.messageTypeId,
        json(t.messageTypeName),
        json(t.messageTypeDescription),
        t.validityPeriod.validityPeriodNumber,
        t.validityPeriod.validityPeriodUnit,
        search.nl,
        search.fr,
        search.de,
      ],
    )
  }
  for (const a of applications) {
    const search = referenceSearchText([a.applicationName, a.applicationDescription])
    await client.query(
      `INSERT INTO sender_applications (application_id, organization_id, name, description, url,
         contact_business, contact_technical, search_nl, search_fr, search_de, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
       ON CONFLICT (application_id) DO UPDATE SET organization_id = excluded.organization_id,
         name = excluded.name, description = excluded.description, url = excluded.url,
         contact_business = excluded.contact_business, contact_technical = excluded.contact_technical,
         search_nl = excluded.search_nl, search_fr = excluded.search_fr, search_de = excluded.search_de,
         updated_at = now()`,
      [
        a.applicationId,
        a.senderOrganizationId,
        json(a.applicationName),
        json(a.applicationDescription),
        json(a.applicationUrl),
        json(a.contactBusiness),
        json(a.contactTechnical),
        search.nl,
        search.fr,
        search.de,
      ],
    )
    await replaceImages(client, 'application', a.applicationId, a.applicationLogos)
    if (a.messageTypes !== undefined) {
      await client.query('DELETE FROM sender_configurations WHERE application_id = $1', [a.applicationId])
      await client.query(
        `INSERT INTO sender_configurations (application_id, message_type_id, recipient_type)
         SELECT $1, c.message_type_id, c.recipient_type FROM unnest($2::text[], $3::text[]) AS c (message_type_id, recipient_type)`,
        [
          a.applicationId,
          a.messageTypes.flatMap((t) => t.recipientTypes.map(() => t.messageTypeId)),
          a.messageTypes.flatMap((t) => t.recipientTypes),
        ],
      )
    }
  }
  // Delivered at commit only, so no process reloads before the new rows are visible (nor at all on rollback).
  await client.query('SELECT pg_notify($1, $2)', [REFERENCE_DATA_CHANNEL, ''])
  return {
    senderOrganizations: organizations.length,
    senderApplications: applications.length,
    messageTypes: types.length,
  }
}

/** A 404 for a reference-data id that does not exist. */
export function notFound(what: string, id: string): RegistryError {
  return new RegistryError('NOT_FOUND', `No ${what} "${id}".`)
}
