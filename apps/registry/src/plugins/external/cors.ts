import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { API_METHODS } from '../../http-methods.ts'

/** Headers a browser client (the e-Box portal) may send and read. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'Accept-Language',
  'If-None-Match',
  'Idempotency-Key',
  'On-Behalf-Of-Enterprise-Number',
  'X-Correlation-Id',
]
const EXPOSED_HEADERS = [
  'X-Correlation-Id',
  'ETag',
  'Content-Disposition',
  'Location',
  'Retry-After',
  'WWW-Authenticate',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
]

/** CORS for the configured origins only (brief §3.5), no credentials; none at all without origins. */
export default fp(
  async function corsPlugin(app: FastifyInstance, options: { corsOrigins: string[] }) {
    await app.register(cors, {
      origin: options.corsOrigins.length > 0 ? options.corsOrigins : false,
      methods: [...API_METHODS],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
      strictPreflight: true,
    })
  },
  { name: 'cors' },
)
