import { CertificationVersion, CONTRACT, type DeploymentEnvironment, RegistryError } from '@ebox/contract'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'
import { seedDemoDataSet } from '../demo/seed.ts'
import { errorResponses } from '../plugins/errors.ts'
import { forgetConsultations } from '../repositories/messages/write.ts'

export interface CertificationOptions {
  build: Config['build']
  environment: DeploymentEnvironment
  /** CERTIFICATION_RESET_ENABLED: the reset is refused unless switched on (never in production). */
  resetEnabled: boolean
}

/**
 * Certification (federation-duties §5): `GET /certification/version`, unauthenticated — the certificate is tied
 * to it; `POST /certification/resetDataSet`, certification scope only — restores the demo data set with dates
 * relative to now. The reset rewrites the demo e-Boxes, so it is refused in production.
 */
export default async function certificationRoutes(app: FastifyInstance, options: CertificationOptions) {
  app.get(
    '/certification/version',
    {
      config: { public: true },
      schema: {
        tags: ['Certification'],
        operationId: 'getCertificationVersion',
        summary: 'Version of this Message Registry',
        response: { 200: CertificationVersion },
      },
    },
    async () => ({
      version: options.build.version,
      apiVersion: CONTRACT.apiVersion,
      build: options.build.commit,
    }),
  )

  app.post(
    '/certification/resetDataSet',
    {
      config: { operation: 'resetDataSet' },
      schema: {
        tags: ['Certification'],
        operationId: 'resetDataSet',
        summary: 'Restore the certification data set',
        description:
          'Empties the demo e-Boxes and loads the demo data set again, every date relative to now. Certification ' +
          'scope only; refused (403) in production.',
        security: [{ bearer: [] }],
        response: {
          204: Type.Null({ description: 'The data set was restored.' }),
          ...errorResponses(401, 403, 500),
        },
      },
    },
    async (request, reply) => {
      if (
        !options.resetEnabled ||
        (CONTRACT.resetDataSetRefusedIn as readonly string[]).includes(options.environment)
      ) {
        throw new RegistryError('FORBIDDEN', 'The certification data set cannot be reset in this deployment.')
      }
      const set = await seedDemoDataSet(app.pool)
      forgetConsultations()
      // The import's NOTIFY reaches this process a moment after the commit; a read right after the 204 must not
      // see the old reference data.
      app.referenceDataCache.invalidate()
      request.auditDetails = { dataSet: 'demo', messages: set.messages.length, now: set.now.toISOString() }
      return reply.code(204).send()
    },
  )
}
