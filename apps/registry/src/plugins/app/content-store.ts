import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { ContentStore } from '../../content/store.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Where attachment content is written and read (src/content/store.ts). */
    contentStore: ContentStore
  }
}

/** Makes the content store available to routes (app.contentStore) and closes it with the app. */
export const contentStorePlugin = fp(
  async function contentStorePlugin(app: FastifyInstance, options: { contentStore: ContentStore }) {
    app.decorate('contentStore', options.contentStore)
    app.addHook('onClose', () => options.contentStore.close())
  },
  { name: 'content-store' },
)
