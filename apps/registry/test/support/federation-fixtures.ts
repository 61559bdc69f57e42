import { randomUUID } from 'node:crypto'
import { createClientCredentials, type TokenIssuer } from '@ebox/token-issuer'
import { exportPKCS8 } from 'jose'
import type pg from 'pg'
import pino from 'pino'
import { createFederationClient } from '../../src/federation/client.ts'
import { enqueueEvent } from '../../src/repositories/outbox.ts'
import type { DeliveryOptions } from '../../src/worker/delivery.ts'
import { createEesClient, type EesClient } from '../../src/worker/ees-client.ts'
import { createWorkerMetrics, type WorkerMetrics } from '../../src/worker/metrics.ts'

export const ENTERPRISE = '0406798006'
export const SENDER = '0212345678'
export const EES_SCOPE = 'scope:ebox:federation:eventservice:test'
export const silentLog = pino({ level: 'silent' })

/** The sender organisation, application and message type every test message refers to. */
export async function seedSender(pool: pg.Pool): Promise<void> {
  await pool.query(
    `INSERT INTO sender_organizations (organization_id, short_name) VALUES ($1, '{"nl":"Afzender"}') ON CONFLICT DO NOTHING;`,
    [SENDER],
  )
  await pool.query(
    `INSERT INTO sender_applications (application_id, organization_id, name) VALUES ('app-1', $1, '{"nl":"App"}')
     ON CONFLICT DO NOTHING`,
    [SENDER],
  )
  await pool.query(
    `INSERT INTO message_types (message_type_id, name, validity_number, validity_unit)
     VALUES ('type-1', '{"nl":"Type"}', 1, 'year') ON CONFLICT DO NOTHING`,
  )
}

export interface MessageFixture {
  publishedAt: string | Date
  expiresAt: string | Date
  readAt?: string | Date
  recipientType?: 'enterprise' | 'citizen'
  recipientId?: string
  registeredMail?: boolean
}

export async function insertMessage(pool: pg.Pool, message: MessageFixture): Promise<string> {
  const messageId = randomUUID()
  const citizen = message.recipientType === 'citizen'
  await pool.query(
    `INSERT INTO messages (message_id, recipient_type, recipient_id, sender_enterprise_number, sender_application_id,
                           message_type_id, subject, published_at, expires_at, read_at, registered_mail)
     VALUES ($1, $2, $3, $4, 'app-1', 'type-1', '{"nl":"Onderwerp"}', $5, $6, $7, $8)`,
    [
      messageId,
      citizen ? 'citizen' : 'enterprise',
      message.recipientId ?? (citizen ? '85073003328' : ENTERPRISE),
      SENDER,
      message.publishedAt,
      message.expiresAt,
      message.readAt ?? null,
      message.registeredMail ?? false,
    ],
  )
  return messageId
}

/** Queues `count` newDocument events as publication does (enqueueEvent in a transaction). */
export async function queueNewDocuments(pool: pg.Pool, count: number): Promise<string[]> {
  const ids: string[] = []
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (let i = 0; i < count; i++) {
      const messageId = randomUUID()
      await enqueueEvent(client, 'newDocument', {
        enterpriseId: ENTERPRISE,
        messageId,
        receiptDate: '2026-11-25T10:00:00+01:00',
        expirationDate: '2027-11-25T10:00:00+01:00',
        registeredMail: i % 2 === 0,
      })
      ids.push(messageId)
    }
    await client.query('COMMIT')
  } finally {
    client.release()
  }
  return ids
}

/** The worker's OAuth client at the local issuer, and an EES client that gets its token there. */
export async function eesClientFor(issuer: TokenIssuer, url: string, timeoutMs = 2_000): Promise<EesClient> {
  const clientId = `ebox-dp-worker-${randomUUID().slice(0, 8)}`
  const credentials = await createClientCredentials(clientId)
  await issuer.registerClient(clientId, credentials.publicJwk, { scopes: [EES_SCOPE] })
  const federation = createFederationClient({
    tokenUrl: issuer.tokenUrl,
    clientId,
    privateKeyPem: await exportPKCS8(credentials.privateKey),
  })
  return createEesClient({ url, timeoutMs, scope: undefined, federation })
}

export async function workerCredentialsEnv(issuer: TokenIssuer): Promise<Record<string, string>> {
  const clientId = `ebox-dp-worker-${randomUUID().slice(0, 8)}`
  const credentials = await createClientCredentials(clientId)
  await issuer.registerClient(clientId, credentials.publicJwk, { scopes: [EES_SCOPE] })
  return {
    OAUTH_TOKEN_URL: issuer.tokenUrl,
    OAUTH_CLIENT_ID: clientId,
    OAUTH_CLIENT_KEY: await exportPKCS8(credentials.privateKey),
  }
}

export const FAST_DELIVERY: DeliveryOptions = {
  batchSize: 10,
  leaseMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
}

export function metricsFor(pool: pg.Pool): WorkerMetrics {
  return createWorkerMetrics(pool, 10)
}

export async function outboxRows(pool: pg.Pool) {
  const { rows } = await pool.query<{
    event_id: string
    message_id: string
    event_type: string
    status: string
    attempts: number
    next_attempt_at: Date
    last_error: string | null
    claim_id: string | null
    payload: Record<string, unknown>
  }>('SELECT * FROM outbox_events ORDER BY created_at, event_id')
  return rows
}

/** A clock tests move by hand. */
export function manualClock(start: string | Date) {
  let now = new Date(start)
  return {
    now: () => new Date(now),
    set(at: string | Date) {
      now = new Date(at)
    },
    advance(ms: number) {
      now = new Date(now.getTime() + ms)
    },
  }
}
