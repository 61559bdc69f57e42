import { CONTRACT } from '@ebox/contract'
import type { FastifyInstance } from 'fastify'
import attachmentRoutes from './attachments.ts'
import eboxRoutes from './ebox.ts'
import messageRoutes from './messages.ts'

/**
 * The consultation routes of one e-Box: messages, attachments, statistics and summary. Every answer is personal
 * data: `Cache-Control: private, no-store`, set once here for the whole subtree (what an autohook does).
 */
export default async function consultationRoutes(app: FastifyInstance) {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('cache-control', CONTRACT.privateCacheControl)
  })
  await app.register(messageRoutes)
  await app.register(attachmentRoutes)
  await app.register(eboxRoutes)
}
