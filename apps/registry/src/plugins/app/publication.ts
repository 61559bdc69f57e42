import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import {
  createPublicationService,
  type PublicationService,
  type PublicationServiceOptions,
} from '../../services/publication/service.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Publication without HTTP (services/publication): the route hands it the parts of the body. */
    publication: PublicationService
  }
}

/** Makes the publication service available to the publication route (app.publication). */
export default fp(
  async function publicationPlugin(app: FastifyInstance, options: PublicationServiceOptions) {
    const service = createPublicationService({
      ...options,
      onStaleStagingSwept: (removed) =>
        app.log.warn(
          { removed, dir: options.limits.stagingDir },
          'removed staging files of interrupted uploads',
        ),
    })
    app.decorate('publication', service)
    app.addHook('onClose', async () => service.close())
  },
  { name: 'publication' },
)
