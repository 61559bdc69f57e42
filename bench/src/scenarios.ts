import { createHash } from 'node:crypto'
import type { Dataset } from './generate.ts'
import type { LoadRequest } from './load.ts'

/**
 * The scenarios of issue 10: what the portal does (list, search, detail, reference data, downloads) and a
 * sender's publication. Requests are given without Authorization; the runner adds the scenario's token.
 */
export interface Scenario {
  id: string
  title: string
  token: 'consumer' | 'publisher'
  connections: number
  /** Fixed arrival rate (req/s over all connections) instead of "as fast as possible". */
  overallRate?: number
  /** Response statuses that count as success. */
  expect: number[]
  /** Contract schema of the route's success response: the framework ceiling serialises through it. */
  schema?: string
  /** Which ceilings apply: framework (JSON routes), file (downloads); database always, unless `noCeilings`. */
  ceiling: 'framework' | 'file'
  /** A rate-limited variant of another scenario: its ceilings are the other scenario's. */
  ceilingsOf?: string
  /** The requests carry If-None-Match with the ETag the service gave (fetched first). */
  conditional?: boolean
  /** The SQL writes: the database ceiling replays it with fresh UUIDs. */
  write?: boolean
  /** Which generated download it fetches (the file ceiling serves the same bytes from disk). */
  download?: 0 | 1
  /** Fraction of the run's duration (long writes fill the database). */
  durationFactor?: number
  requests: LoadRequest[]
}

const BOUNDARY = '----ebox-bench-boundary-3f9c2a'

/** A multipart publication with one main PDF attachment of `size` bytes. */
export function publicationBody(dataset: Dataset, size: number): Buffer {
  const message = {
    sender: { eboxType: 'enterprise', enterpriseNumber: dataset.publicationSenderOrganizationId },
    recipient: { eboxType: 'enterprise', enterpriseNumber: dataset.publicationEbox },
    subject: {
      fr: 'Avis de prélèvement — bench',
      nl: 'Bericht van inning — bench',
      de: 'Lastschriftanzeige — bench',
    },
    messageTypeId: dataset.publicationMessageTypeId,
    senderApplicationId: dataset.publicationApplicationId,
    attachments: [{ httpPartName: 'file1', isMainContent: true }],
  }
  const file = Buffer.alloc(size)
  // Incompressible, deterministic content (a PDF would be).
  for (let at = 0, n = 0; at < size; at += 32, n++)
    createHash('sha256').update(String(n)).digest().copy(file, at)
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="messageToPublish"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(message)}\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file1"; filename="bench.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ])
}

/** The Brussels calendar date `days` before `now` (yyyy-mm-dd). */
function daysBefore(now: string, days: number): string {
  return new Date(new Date(now).getTime() - days * 86_400_000).toISOString().slice(0, 10)
}

export function buildScenarios(dataset: Dataset): Scenario[] {
  const get = (path: string): LoadRequest => ({ method: 'GET', path })
  const listed = dataset.spec.bigEboxMessages
  // Deep page: half-way through the big e-Box, 25 per page.
  const deepPage = Math.max(2, Math.floor(listed / 2 / 25))
  const reference = [
    get(`/referenceData/messageTypes/${dataset.referenceIds.messageTypeId}`),
    get(`/referenceData/senderApplications/${dataset.referenceIds.senderApplicationId}`),
    get(`/referenceData/senderOrganizations/${dataset.referenceIds.senderOrganizationId}`),
  ]
  const content = (messageId: string) => get(`/ebox/messages/${messageId}/attachments/1/content`)
  const [small, large] = dataset.spec.downloadBytes
  return [
    {
      id: 'list-page-1',
      title: 'List, page 1 (25 messages)',
      token: 'consumer',
      connections: 32,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      requests: [get('/ebox/messages')],
    },
    {
      // A rate this machine sustains: the latency of the list when the service is not saturated (run before the
      // overload at 1,000 req/s, whose queue would spill into it).
      id: 'list-page-1-at-400',
      title: 'List, page 1, at 400 req/s',
      token: 'consumer',
      connections: 32,
      overallRate: 400,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      ceilingsOf: 'list-page-1',
      requests: [get('/ebox/messages')],
    },
    {
      id: 'list-page-1-at-1000',
      title: 'List, page 1, at 1,000 req/s',
      token: 'consumer',
      connections: 32,
      overallRate: 1000,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      ceilingsOf: 'list-page-1',
      requests: [get('/ebox/messages')],
    },
    {
      id: 'list-deep-page',
      title: `List, page ${deepPage}`,
      token: 'consumer',
      connections: 32,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      requests: [get(`/ebox/messages?page=${deepPage}&pageSize=25`)],
    },
    {
      id: 'list-filters',
      title: 'List with filters (unread, type, received after)',
      token: 'consumer',
      connections: 32,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      requests: [
        get(
          `/ebox/messages?readStatus=false&messageTypeId=${dataset.filterMessageTypeId}&receivedAfter=${daysBefore(dataset.spec.now, 180)}`,
        ),
      ],
    },
    {
      id: 'search-fr',
      title: `Search q="${dataset.searchTerm}" qlang=fr`,
      token: 'consumer',
      connections: 32,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      requests: [get(`/ebox/messages?q=${encodeURIComponent(dataset.searchTerm)}&qlang=fr`)],
    },
    {
      id: 'search-fr-at-25',
      title: `Search q="${dataset.searchTerm}" qlang=fr, at 25 req/s`,
      token: 'consumer',
      connections: 8,
      overallRate: 25,
      expect: [200],
      schema: 'Messages',
      ceiling: 'framework',
      ceilingsOf: 'search-fr',
      requests: [get(`/ebox/messages?q=${encodeURIComponent(dataset.searchTerm)}&qlang=fr`)],
    },
    {
      id: 'message-detail',
      title: 'Message detail',
      token: 'consumer',
      connections: 32,
      expect: [200],
      schema: 'Message',
      ceiling: 'framework',
      requests: [get(`/ebox/messages/${dataset.detailMessageId}`)],
    },
    {
      id: 'reference-data',
      title: 'Reference-data details (type, application, organisation)',
      token: 'consumer',
      connections: 32,
      expect: [200],
      ceiling: 'framework',
      requests: reference,
    },
    {
      id: 'reference-data-304',
      title: 'Reference-data details with If-None-Match (304)',
      token: 'consumer',
      connections: 32,
      expect: [304],
      ceiling: 'framework',
      conditional: true,
      requests: reference,
    },
    {
      id: 'content-1mb',
      title: `Attachment content ${mib(small)}`,
      token: 'consumer',
      connections: 8,
      expect: [200],
      ceiling: 'file',
      download: 0,
      requests: [content(dataset.downloadMessageIds[0])],
    },
    {
      id: 'content-50mb',
      title: `Attachment content ${mib(large)} (4 at once: ${mib(4 * large)} in flight)`,
      token: 'consumer',
      connections: 4,
      expect: [200],
      ceiling: 'file',
      download: 1,
      requests: [content(dataset.downloadMessageIds[1])],
    },
    {
      id: 'publication-1mb',
      title: `Publication with a ${mib(small)} attachment`,
      token: 'publisher',
      connections: 4,
      expect: [201],
      schema: 'PublicationStatusMessage',
      ceiling: 'framework',
      write: true,
      durationFactor: 0.5,
      requests: [
        {
          method: 'POST',
          path: '/ebox/messages',
          headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
          body: publicationBody(dataset, small),
        },
      ],
    },
  ]
}

/** The item schema of a reference-data path (for the framework ceiling). */
export function referenceSchemaOf(path: string): string | undefined {
  if (path.includes('/messageTypes/')) return 'MessageType'
  if (path.includes('/senderApplications/')) return 'SenderApplication'
  if (path.includes('/senderOrganizations/')) return 'SenderOrganization'
  return undefined
}

export function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes / 1024)} kB`
}
