import {
  contactText,
  isValidEnterpriseNumber,
  ReferenceDataImport,
  referenceSearchText,
} from '@ebox/contract'
import type { Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type pg from 'pg'
import type { ImageOwner } from './read.ts'

/**
 * Writing reference data (§6.5): message types, sender applications, sender organisations and their logos, from
 * an import file — only `registry refdata import` and the demo seed write them. Reads: ./read.ts.
 */

/** Notified by every import at its commit; each registry process clears its reference-data cache on it. */
export const REFERENCE_DATA_CHANNEL = 'reference_data_changed'

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

type ImportFile = Static<typeof ReferenceDataImport>
type Entry<K extends keyof ImportFile> = NonNullable<ImportFile[K]>[number]

/** How one kind of entry is stored: its table, key column, and the other columns with their values. */
interface RowSpec<E> {
  table: string
  key: string
  columns: Record<string, (entry: E) => unknown>
}

const ORGANIZATION_ROW: RowSpec<Entry<'senderOrganizations'>> = {
  table: 'sender_organizations',
  key: 'organization_id',
  columns: {
    organization_id: (o) => o.organizationId,
    short_name: (o) => json(o.organizationShortName),
    long_name: (o) => json(o.organizationLongName),
    url: (o) => json(o.organizationUrl),
    contact_business: (o) => json(contactText(o.contactBusiness)),
    contact_technical: (o) => json(contactText(o.contactTechnical)),
  },
}

const MESSAGE_TYPE_ROW: RowSpec<Entry<'messageTypes'>> = {
  table: 'message_types',
  key: 'message_type_id',
  columns: {
    message_type_id: (t) => t.messageTypeId,
    name: (t) => json(t.messageTypeName),
    description: (t) => json(t.messageTypeDescription),
    validity_number: (t) => t.validityPeriod.validityPeriodNumber,
    validity_unit: (t) => t.validityPeriod.validityPeriodUnit,
  },
}

const APPLICATION_ROW: RowSpec<Entry<'senderApplications'>> = {
  table: 'sender_applications',
  key: 'application_id',
  columns: {
    application_id: (a) => a.applicationId,
    organization_id: (a) => a.senderOrganizationId,
    name: (a) => json(a.applicationName),
    description: (a) => json(a.applicationDescription),
    url: (a) => json(a.applicationUrl),
    contact_business: (a) => json(contactText(a.contactBusiness)),
    contact_technical: (a) => json(contactText(a.contactTechnical)),
  },
}

/** Creates or replaces one entry whole, with the search text of its names in each language. */
async function upsert<E>(
  client: pg.PoolClient,
  spec: RowSpec<E>,
  entry: E,
  names: Parameters<typeof referenceSearchText>[0],
): Promise<void> {
  const search = referenceSearchText(names)
  const columns = [...Object.keys(spec.columns), 'search_nl', 'search_fr', 'search_de']
  const values = [
    ...Object.values(spec.columns).map((value) => value(entry)),
    search.nl,
    search.fr,
    search.de,
  ]
  const updates = columns
    .filter((column) => column !== spec.key)
    .map((column) => `${column} = excluded.${column}`)
  await client.query(
    `INSERT INTO ${spec.table} (${columns.join(', ')}, updated_at)
     VALUES (${values.map((_, index) => `$${index + 1}`).join(', ')}, now())
     ON CONFLICT (${spec.key}) DO UPDATE SET ${updates.join(', ')}, updated_at = now()`,
    values,
  )
}

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
    await upsert(client, ORGANIZATION_ROW, o, [o.organizationShortName, o.organizationLongName])
    await replaceImages(client, 'organization', o.organizationId, o.organizationLogos)
  }
  for (const t of types)
    await upsert(client, MESSAGE_TYPE_ROW, t, [t.messageTypeName, t.messageTypeDescription])
  for (const a of applications) {
    await upsert(client, APPLICATION_ROW, a, [a.applicationName, a.applicationDescription])
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
