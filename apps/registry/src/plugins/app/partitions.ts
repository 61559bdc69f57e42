import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { PartitionService } from '../../federation/partition-service.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The federation's Partition service (cached): users' partition rights, mandates, routing rules. */
    partitionService: PartitionService
  }
}

/** Makes the Partition service available to routes and to the auth plugin's scope resolution (request.server.partitionService). */
export default fp(
  async function partitionsPlugin(app: FastifyInstance, options: { partitionService: PartitionService }) {
    app.decorate('partitionService', options.partitionService)
  },
  { name: 'partitions' },
)
