import { CertificationVersion, CONTRACT, type EboxIdentity, RegistryError } from '@ebox/contract'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { callerOf } from '../auth/caller.ts'
import { parseEboxId } from '../config/certification.ts'
import type { Config } from '../config.ts'
import { readTestDataFile } from '../demo/test-data-file.ts'
import { loadTestData } from '../demo/test-data-load.ts'
import { auditInTransaction } from '../plugins/app/audit.ts'
import { errorResponses } from '../plugins/external/openapi.ts'
import { forgetConsultations } from '../repositories/messages/write.ts'

export interface CertificationOptions {
  build: Config['build']
  certification: Config['certification']
}

const ResetQuery = Type.Object(
  {
    eboxId: Type.Optional(
      Type.String({
        maxLength: 20,
        description: 'The one test e-Box to reset (enterprise number or SSIN); default: every test e-Box.',
      }),
    ),
  },
  { additionalProperties: false },
)

/**
 * Certification (federation-duties §5): `GET /certification/version`, unauthenticated — the certificate is tied
 * to it; `POST /certification/resetDataSet`, certification scope only — puts the test data file
 * (CERTIFICATION_TEST_DATA_FILE, read and checked once, here, at start) into the configured test e-Boxes
 * (CERTIFICATION_TEST_EBOXES) with dates relative to now. Allowed in every environment, production included (the
 * federation's PROD profile runs there), for those e-Boxes only: any other is 403.
 */
export default async function certificationRoutes(app: FastifyInstance, options: CertificationOptions) {
  const { resetEnabled, testEboxes, testDataFile } = options.certification
  const testData = resetEnabled ? await readTestDataFile(testDataFile, testEboxes) : undefined

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
        summary: 'Reset the test e-Boxes to the test data file',
        description:
          'Replaces the data of the test e-Boxes with the test data file, every date relative to now: afterwards ' +
          'each holds exactly the messages of the file. Without `eboxId`, every test e-Box; a token that speaks ' +
          'for an e-Box resets that one. Certification scope only; 403 for an e-Box that is not a test e-Box of ' +
          'this deployment, or when the reset is not switched on.',
        querystring: ResetQuery,
        response: {
          204: Type.Null({ description: 'The test e-Boxes hold the test data file.' }),
          ...errorResponses(400, 401, 403, 500),
        },
      },
    },
    async (request, reply) => {
      if (!testData) {
        throw new RegistryError('FORBIDDEN', 'The certification data set cannot be reset in this deployment.')
      }
      const targets = targetsOf(request, testEboxes)
      const result = await loadTestData(app.pool, testData, targets, new Date(), (client, messages) => {
        request.auditDetails = {
          dataSet: testData.description ?? testData.file,
          eboxes: targets.map((ebox) => ebox.id),
          messages,
        }
        return auditInTransaction(client, request, 204)
      })
      forgetConsultations()
      // The import's NOTIFY reaches this process a moment after the commit; a read right after the 204 must not
      // see the old reference data.
      if (testData.referenceData) app.referenceDataCache.invalidate()
      request.log.info({ eboxes: targets.length, messages: result.messages }, 'test data set loaded')
      return reply.code(204).send()
    },
  )
}

/** The e-Box named by `eboxId`, else the token's own, else every test e-Box; a named one must be a test e-Box. */
function targetsOf(request: FastifyRequest, testEboxes: readonly EboxIdentity[]): EboxIdentity[] {
  const { eboxId } = request.query as { eboxId?: string }
  const named = eboxId !== undefined ? parseEboxId(eboxId.trim()) : callerOf(request).ebox
  if (eboxId !== undefined && !named) {
    throw new RegistryError(
      'INVALID_INPUT',
      'eboxId must be an enterprise number (10 digits) or an SSIN (11 digits).',
    )
  }
  if (!named) return [...testEboxes]
  const test = testEboxes.find((ebox) => ebox.eboxType === named.eboxType && ebox.id === named.id)
  if (!test) throw new RegistryError('FORBIDDEN', 'Only the test e-Boxes of this deployment can be reset.')
  return [test]
}
