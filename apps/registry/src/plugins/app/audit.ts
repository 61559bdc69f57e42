import { type Operation, RegistryError } from '@ebox/contract'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { type AuditEntry, auditMicros, auditTimestamp, formatMicros } from '../../audit/chain.ts'
import { AuditWriter, appendAudit } from '../../audit/store.ts'
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../db/unavailable.ts'
import { WRITE_METHODS } from '../../http-methods.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` keeps an authenticated route out of the audit trail. */
    audit?: boolean
  }
  interface FastifyRequest {
    /** When the call came in (audit TIMESTAMP), microseconds since the epoch; formatted only when audited. */
    auditStartedMicros: bigint
    /** Set once the call's audit record is written (or attempted): the plugin writes at most one per request. */
    auditRecorded: boolean
  }
}

/**
 * Operations left out of the audit trail: reference data is public, carries no personal data and is fetched once
 * per displayed message (ATREQ02 proportionality). See docs/contract-decisions.md.
 */
export const UNAUDITED_OPERATIONS: ReadonlySet<Operation> = new Set(['referenceData'])

/**
 * ATREQ04: reads are recorded when they succeeded (2xx, 304); writes unless it is certain they failed — a 4xx
 * changed nothing, a 5xx may have (a timeout, a failure after commit) and is recorded with its status.
 */
export function isAudited(request: FastifyRequest, status: number): boolean {
  const { operation, audit } = request.routeOptions.config
  if (!operation || audit === false || UNAUDITED_OPERATIONS.has(operation) || !request.principal) return false
  if (WRITE_METHODS.has(request.method)) return status < 400 || status >= 500
  return status >= 200 && status < 400
}

/** The audit record of a request: its principal, method, URL, the given status and `request.auditDetails`. */
export function auditEntryOf(request: FastifyRequest, status: number): AuditEntry {
  return {
    occurredAt: request.auditStartedMicros ? formatMicros(request.auditStartedMicros) : auditTimestamp(),
    tokenHash: request.principal?.tokenHash ?? null,
    clientId: request.principal?.clientId ?? null,
    method: request.method,
    url: request.url,
    status,
    details: request.auditDetails ?? {},
    correlationId: request.id,
  }
}

/**
 * For writes that run in a transaction: records the call in that transaction, as its LAST statement before
 * COMMIT, so the record exists exactly when the change does (and the plugin writes no second one). `status` is
 * the status the route is about to answer. A failure throws, so the transaction rolls back and the call fails.
 *
 *   await inTransaction(pool, async (client) => {
 *     …insert the message, enqueueEvent(client, 'newDocument', facts)…
 *     request.auditDetails = { messageId, … }
 *     await auditInTransaction(client, request, 201)
 *   })
 */
export async function auditInTransaction(
  client: pg.ClientBase,
  request: FastifyRequest,
  status: number,
): Promise<void> {
  try {
    await appendAudit(client, [auditEntryOf(request, status)])
  } catch (error) {
    request.server.metrics.auditWriteFailures.inc({ kind: 'write' })
    request.log.error({ err: error }, 'audit record could not be written')
    throw auditFailure(error)
  }
  request.auditRecorded = true
}

/**
 * What a write answers when its audit record cannot be written: 503 with Retry-After when PostgreSQL is down or
 * restarting (the write's own outcome is the same uncertain one, and the client should retry), else 500.
 */
function auditFailure(error: unknown): RegistryError {
  return isDatabaseUnavailable(error)
    ? new RegistryError('SERVICE_UNAVAILABLE', undefined, {
        cause: error,
        headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
      })
    : new RegistryError('INTERNAL_ERROR', undefined, { cause: error })
}

/**
 * One audit record per audited call (federation-duties §4), written before the response leaves. A write whose
 * record cannot be written answers 500 instead of its result (503 with Retry-After when the database is
 * unavailable, as during a restart: the 503 the route gave then stays a 503); a read is answered anyway. Both failures are logged
 * and counted (`audit_write_failures_total`).
 */
export default fp(
  async function auditPlugin(app: FastifyInstance, options: { pool: pg.Pool }) {
    const writer = new AuditWriter(options.pool)
    app.decorateRequest('auditStartedMicros', 0n)
    app.decorateRequest('auditRecorded', false)

    app.addHook('onRequest', async (request) => {
      request.auditStartedMicros = auditMicros()
    })

    app.addHook('onSend', async (request, reply, payload) => {
      if (request.auditRecorded || !isAudited(request, reply.statusCode)) return payload
      request.auditRecorded = true
      try {
        await writer.write(auditEntryOf(request, reply.statusCode))
      } catch (error) {
        const write = WRITE_METHODS.has(request.method)
        app.metrics.auditWriteFailures.inc({ kind: write ? 'write' : 'read' })
        request.log.error({ err: error }, 'audit record could not be written')
        // A failure already answered (a 503 while PostgreSQL restarts) stays as it is: replacing it could only
        // lose its Retry-After, and Fastify renders an error thrown while sending an error outside the table.
        if (write && reply.statusCode < 500) throw auditFailure(error)
      }
      return payload
    })

    app.addHook('onClose', async () => writer.drain())
  },
  { name: 'audit', dependencies: ['audit-context', 'metrics'] },
)
