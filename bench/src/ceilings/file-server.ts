/**
 * File-stream ceiling (child process): a plain node:http server streaming a file from disk, the least a download
 * can cost. GET /<file name> in DIR. Usage: file-server.ts DIR → prints `{"port":N}`.
 */
import { createReadStream, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { basename, join } from 'node:path'

const dir = process.argv[2]!
const server = createServer((request, response) => {
  const path = join(dir, basename(request.url ?? '/'))
  let size: number
  try {
    size = statSync(path).size
  } catch {
    response.writeHead(404).end()
    return
  }
  response.writeHead(200, { 'content-type': 'application/pdf', 'content-length': size })
  createReadStream(path).pipe(response)
})
server.keepAliveTimeout = 72_000
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }))
})
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => server.close(() => process.exit(0)))
