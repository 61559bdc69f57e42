/**
 * Framework ceiling (child process): a bare Fastify that answers each captured request with the service's own
 * response body, from memory, serialised through the same contract schema as the real route (fast-json-stringify
 * via the route's response schema). No authentication, no database, no audit: what is left is Fastify, the
 * serializer and HTTP. Usage: framework-server.ts ROUTES.json → prints `{"port":N}`.
 */
import { readFileSync } from 'node:fs'
import * as contract from '@ebox/contract'
import multipart from '@fastify/multipart'
import Fastify from 'fastify'
import type { CapturedResponse } from './framework-routes.ts'

const responses = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as CapturedResponse[]
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 })
await app.register(multipart, { limits: { fileSize: 200 * 1024 * 1024 } })

const byPath = new Map<string, CapturedResponse[]>()
for (const response of responses) {
  const key = `${response.method} ${response.url.split('?')[0]}`
  byPath.set(key, [...(byPath.get(key) ?? []), response])
}
const schemas = contract as unknown as Record<string, object>

for (const [key, list] of byPath) {
  const [method, path] = key.split(' ') as ['GET' | 'POST', string]
  const first = list[0]!
  const response: Record<number, unknown> = {}
  for (const item of list) {
    if (item.schema && schemas[item.schema]) response[item.status] = schemas[item.schema]
  }
  app.route({
    method,
    url: path,
    schema: { response },
    handler: async (request, reply) => {
      if (first.multipart && request.isMultipart()) {
        for await (const part of request.parts())
          if (part.type === 'file') await part.toBuffer().then(() => {})
      }
      const conditional = request.headers['if-none-match'] !== undefined
      const match =
        list.find((item) => item.url === request.url && item.conditional === conditional) ??
        list.find((item) => item.url === request.url) ??
        first
      reply.code(match.status).headers(match.headers)
      return match.body === undefined ? reply.send() : match.body
    },
  })
}

await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }))
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)))
