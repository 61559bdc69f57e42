/**
 * Loaded into the registry process under benchmark (`node --import …/capture-preload.mjs`, bundled from this file
 * by registry-process.ts so that the built registry runs without tsx): records the SQL the service runs while the
 * harness asks for it, so that the database ceiling replays exactly the statements of a request. Between captures
 * the patched `query` costs one boolean test.
 *
 * Control (loopback, port BENCH_CONTROL_PORT): POST /capture/start, POST /capture/stop → captured statements.
 * BENCH_REGISTRY_PACKAGE: the registry's package.json, whose `pg` is patched (the bundle does not live in the
 * repository, so it cannot find it from its own location).
 */
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { type CapturedStatement, encodeValue } from './captured.ts'

const registryPackage = process.env.BENCH_REGISTRY_PACKAGE
if (!registryPackage) throw new Error('capture-preload: BENCH_REGISTRY_PACKAGE is not set')
// The very module instance the registry loads, from its dist/ as from its sources (pnpm links one copy of pg
// 8.23.1; the bundle keeps no copy of its own).
const pg = createRequire(registryPackage)('pg') as typeof import('pg')

let capturing = false
let captured: CapturedStatement[] = []
const started = process.hrtime.bigint()
const now = () => Number(process.hrtime.bigint() - started) / 1e6

type QueryFn = (this: unknown, ...args: unknown[]) => unknown
const prototype = pg.Client.prototype as unknown as { query: QueryFn }
const original = prototype.query

prototype.query = function patchedQuery(this: unknown, ...args: unknown[]) {
  if (!capturing) return original.apply(this, args)
  const [first, second] = args
  const config =
    typeof first === 'string'
      ? { text: first }
      : (first as { text?: string; name?: string; values?: unknown[]; submit?: unknown })
  if (typeof config?.text !== 'string') return original.apply(this, args)
  if (typeof config.submit === 'function') {
    // A COPY stream (pg-copy-streams): recorded with its text, ended when the stream ends.
    const statement: CapturedStatement = {
      text: config.text,
      values: [],
      copy: true,
      startedAt: now(),
      endedAt: Number.NaN,
    }
    captured.push(statement)
    const stream = config as unknown as NodeJS.WritableStream
    if (/\bFROM\s+STDIN\b/i.test(config.text)) {
      // What the service sends through the COPY (pipeline writes it with write()), for the replay.
      const sent: Buffer[] = []
      const write = stream.write.bind(stream) as (chunk: Buffer | Buffer[], ...rest: unknown[]) => boolean
      stream.write = ((chunk: Buffer | Buffer[], ...rest: unknown[]) => {
        // A list of buffers is one CopyData message (apps/registry's copy-messages.ts, object mode).
        for (const part of Array.isArray(chunk) ? chunk : [chunk]) sent.push(Buffer.from(part))
        return write(chunk, ...rest)
      }) as typeof stream.write
      stream.once('finish', () => {
        statement.copyIn = Buffer.concat(sent).toString('base64')
      })
    }
    const ended = () => {
      statement.endedAt = now()
    }
    stream.once('end', ended)
    stream.once('finish', ended)
    stream.once('error', ended)
    return original.apply(this, args)
  }
  const values = (Array.isArray(second) ? second : config.values) ?? []
  const statement: CapturedStatement = {
    text: config.text,
    ...(config.name ? { name: config.name } : {}),
    values: values.map(encodeValue),
    startedAt: now(),
    endedAt: Number.NaN,
  }
  captured.push(statement)
  const ended = () => {
    statement.endedAt = now()
  }
  // Callback form (pg.Pool.query uses it): wrap the callback to see when the statement ends.
  const callbackAt = args.findIndex((arg) => typeof arg === 'function')
  if (callbackAt >= 0) {
    const callback = args[callbackAt] as (...results: unknown[]) => unknown
    args[callbackAt] = (...results: unknown[]) => {
      ended()
      return callback(...results)
    }
  }
  const result = original.apply(this, args)
  if (result && typeof (result as Promise<unknown>).then === 'function') {
    ;(result as Promise<unknown>).then(ended, ended)
  }
  return result
}

const port = Number(process.env.BENCH_CONTROL_PORT)
if (port > 0) {
  const server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/capture/start') {
      captured = []
      capturing = true
      response.writeHead(204).end()
    } else if (request.method === 'POST' && request.url === '/capture/stop') {
      capturing = false
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(captured))
      captured = []
    } else {
      response.writeHead(404).end()
    }
  })
  server.listen(port, '127.0.0.1')
  server.unref()
}
