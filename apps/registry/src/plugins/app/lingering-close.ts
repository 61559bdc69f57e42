import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * How long a connection whose request was refused before its body was read (413 over the body limit) may keep
 * sending that body. Fastify answers such a request with `Connection: close`, and Node then closes the socket
 * while the body is still arriving: the kernel answers with a reset, and a client that reads only after sending
 * (curl, most SDKs) never sees the 413. Instead the rest of the body is read and discarded, for this long at
 * most (then the connection is closed as before), so that the answer reaches the client.
 */
export const LINGER_MS = 10_000

export default fp(
  async function lingeringClose(app: FastifyInstance) {
    app.addHook('onSend', async (request, reply, payload) => {
      const raw = request.raw
      if (raw.complete || reply.getHeader('connection') !== 'close') return payload
      // Keep-alive: Node reads (and discards) the rest of the body once the answer is sent.
      reply.removeHeader('connection')
      const socket = raw.socket
      // `?.`: under app.inject the socket is light-my-request's stand-in, which has no destroy().
      const timer = setTimeout(() => socket.destroy?.(), LINGER_MS)
      timer.unref()
      const done = () => clearTimeout(timer)
      raw.once('end', done)
      socket.once('close', done)
      return payload
    })
  },
  { name: 'lingering-close' },
)
