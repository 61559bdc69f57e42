import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Per-endpoint details for the audit trail (federation-duties §4: message ids, attachment ids, digests …).
     * Routes set them; the audit plugin writes one record per successful request.
     */
    auditDetails: Record<string, unknown> | undefined
  }
}

export default fp(
  async function auditContext(app: FastifyInstance) {
    app.decorateRequest('auditDetails', undefined)
  },
  { name: 'audit-context' },
)
