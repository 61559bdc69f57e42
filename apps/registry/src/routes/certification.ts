import { CertificationVersion, CONTRACT } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.ts'

/** `GET /certification/version`, unauthenticated (federation-duties §5): the certificate is tied to it. */
export default async function certificationRoutes(app: FastifyInstance, options: { build: Config['build'] }) {
  app.get(
    '/certification/version',
    {
      schema: {
        tags: ['Certification'],
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
}
