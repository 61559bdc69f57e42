import { CONTRACT, EboxSummary, Statistics } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import { scopeOf } from '../auth/caller.ts'
import { errorResponses } from '../plugins/external/openapi.ts'
import { statistics, summary } from '../repositories/statistics.ts'

/**
 * Statistics (v3, mandatory; shape in docs/contract-decisions.md) and the v2.1 `GET /ebox` summary of the
 * caller's e-Box, counted over the messages the default list shows and the partitions the caller may see.
 */
export default async function eboxRoutes(app: FastifyInstance) {
  const { pool } = app

  app.get(
    CONTRACT.paths.statistics,
    {
      config: { operation: 'statistics' },
      schema: {
        tags: ['Statistics'],
        operationId: 'getStatistics',
        summary: 'Statistics of the e-Box',
        description:
          `Counts of the listed (not expired) messages, in total and per partition: unread, expiring soon ` +
          `(unread and expiring within ${CONTRACT.expiringSoonDays} days), registered, unread registered.`,
        response: { 200: Statistics, ...errorResponses(401, 403, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      request.auditDetails = {}
      return statistics(pool, scope)
    },
  )

  app.get(
    CONTRACT.paths.summary,
    {
      config: { operation: 'summary' },
      schema: {
        tags: ['Statistics'],
        operationId: 'getEbox',
        summary: 'Summary of the e-Box (v2.1)',
        response: { 200: EboxSummary, ...errorResponses(401, 403, 500) },
      },
    },
    async (request) => {
      const scope = scopeOf(request)
      request.auditDetails = {}
      return summary(pool, scope)
    },
  )
}
