import { CONTRACT } from '@ebox/contract'
import swagger from '@fastify/swagger'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/** The OpenAPI document, generated from the route schemas, served at /openapi.json. */
export default fp(
  async function openapiPlugin(app: FastifyInstance, options: { version: string }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'e-Box Message Registry',
          description: `Message Registry of this e-Box Document Provider (API ${CONTRACT.apiVersion}).`,
          version: options.version,
          license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
        },
        servers: [{ url: '/' }],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'OAuth2 access token' } },
        },
      },
    })
    app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)
