import {
  type ContactParts,
  contactText,
  fillTranslations,
  imageContentHref,
  type MessageType,
  type PartialTranslatedString,
  type SenderApplication,
  type SenderOrganization,
} from '@ebox/contract'
import type pg from 'pg'
import type { Queryable } from '../../db/pool.ts'

/**
 * Reading reference data (§5.4): message types, sender applications, sender organisations and their logos, for
 * the consultation routes. One table drives the three collections: a SELECT, its key and its wire form.
 */

type Texts = PartialTranslatedString | null
/** A stored contact: a JSON string, or the object that imports before contacts were strings stored. */
type Contact = string | ContactParts
export type ImageOwner = 'organization' | 'application'
type ImageOut = SenderOrganization['organizationLogos'][number]

export interface Paging {
  page: number
  pageSize: number
}

const optionalTexts = (value: Texts | undefined) => (value ? fillTranslations(value) : undefined)
const optionalContact = (value: Contact | null) => contactText(value)

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

// The three collections ----------------------------------------------------------------------------------------

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

/** How one collection is read: its SELECT (aliased), key column, table (for the count) and wire form. */
interface ReferenceTable<Row extends pg.QueryResultRow, Item> {
  select: string
  key: string
  table: string
  toItem: (row: Row) => Item
}

const table = <Row extends pg.QueryResultRow, Item>(spec: ReferenceTable<Row, Item>) => spec

export const REFERENCE_TABLES = {
  messageTypes: table({
    select: MESSAGE_TYPE_SELECT,
    key: 't.message_type_id',
    table: 'message_types',
    toItem: messageTypeOf,
  }),
  senderApplications: table({
    select: APPLICATION_SELECT,
    key: 'a.application_id',
    table: 'sender_applications',
    toItem: applicationOf,
  }),
  senderOrganizations: table({
    select: ORGANIZATION_SELECT,
    key: 'o.organization_id',
    table: 'sender_organizations',
    toItem: organizationOf,
  }),
}

export type ReferenceCollection = keyof typeof REFERENCE_TABLES
type ItemOf<C extends ReferenceCollection> = ReturnType<(typeof REFERENCE_TABLES)[C]['toItem']>

/** One page of a collection, ordered by its key, and the collection's size. */
export async function listReferenceData<C extends ReferenceCollection>(
  db: Queryable,
  collection: C,
  paging: Paging,
): Promise<{ items: ItemOf<C>[]; totalItems: number }> {
  const spec = REFERENCE_TABLES[collection] as ReferenceTable<pg.QueryResultRow, ItemOf<C>>
  const [page, count] = await Promise.all([
    db.query(`${spec.select} ORDER BY ${spec.key} LIMIT $1 OFFSET $2`, [
      paging.pageSize,
      (paging.page - 1) * paging.pageSize,
    ]),
    db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${spec.table}`),
  ])
  return { items: page.rows.map(spec.toItem), totalItems: count.rows[0]?.n ?? 0 }
}

/** One entry of a collection by id; undefined when there is none. */
export async function getReferenceData<C extends ReferenceCollection>(
  db: Queryable,
  collection: C,
  id: string,
): Promise<ItemOf<C> | undefined> {
  const spec = REFERENCE_TABLES[collection] as ReferenceTable<pg.QueryResultRow, ItemOf<C>>
  const { rows } = await db.query(`${spec.select} WHERE ${spec.key} = $1`, [id])
  return rows[0] ? spec.toItem(rows[0]) : undefined
}

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
