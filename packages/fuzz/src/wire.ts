import { connect } from 'node:net'

/**
 * A request exactly as it goes on the wire: the request-target and header values are written byte for byte
 * (UTF-8), so the fuzzer can send what `fetch` and `http.request` refuse to (control bytes, duplicated headers,
 * unencoded characters). Header names are written as given; `Host`, `Connection: close` and a correct
 * `Content-Length` are added (a lying length would only measure the server's timeout).
 */
export interface WireRequest {
  method: string
  target: string
  headers: [string, string][]
  body?: Buffer
}

export interface WireResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  elapsedMs: number
}

export type WireOutcome =
  | { kind: 'answer'; response: WireResponse }
  | { kind: 'no-answer'; reason: string; elapsedMs: number }

export function encodeRequest(request: WireRequest, host: string): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, `Host: ${host}`, 'Connection: close']
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
  const body = request.body ?? Buffer.alloc(0)
  if (body.length > 0 || ['POST', 'PATCH', 'PUT'].includes(request.method))
    lines.push(`Content-Length: ${body.length}`)
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body])
}

/** Sends one request on a connection of its own and reads the answer until the server closes it. */
export function send(baseUrl: string, request: WireRequest, timeoutMs: number): Promise<WireOutcome> {
  const url = new URL(baseUrl)
  const started = performance.now()
  const elapsed = () => performance.now() - started
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: url.hostname, port: Number(url.port) })
    let settled = false
    const finish = (reason?: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const received = Buffer.concat(chunks)
      const response = received.length > 0 ? parseResponse(received, request.method) : undefined
      if (response) resolve({ kind: 'answer', response: { ...response, elapsedMs: elapsed() } })
      else resolve({ kind: 'no-answer', reason: reason ?? 'closed without an answer', elapsedMs: elapsed() })
    }
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    socket.on('error', (error) => finish(error.message))
    socket.on('connect', () => {
      socket.write(encodeRequest(request, url.host))
    })
  })
}

/** Status, headers (lower-cased; repeated ones joined with ", ") and the de-chunked body; undefined if cut short. */
export function parseResponse(bytes: Buffer, method: string): Omit<WireResponse, 'elapsedMs'> | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n')
  if (headEnd < 0) return undefined
  const [statusLine = '', ...headerLines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(status)) return undefined
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let body = bytes.subarray(headEnd + 4)
  if (method === 'HEAD' || status === 204 || status === 304) body = Buffer.alloc(0)
  else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const decoded = dechunk(body)
    if (!decoded) return undefined
    body = decoded
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length'])
    if (body.length < length) return undefined
    body = body.subarray(0, length)
  }
  return { status, headers, body }
}

function dechunk(bytes: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let at = 0
  while (true) {
    const lineEnd = bytes.indexOf('\r\n', at)
    if (lineEnd < 0) return undefined
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16)
    if (!Number.isInteger(size)) return undefined
    if (size === 0) return Buffer.concat(parts)
    if (lineEnd + 2 + size > bytes.length) return undefined
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

/**
 * Bash quoting of one argument: a long run of one character becomes a `$(printf …)` expansion so that the command
 * stays short; otherwise ANSI-C quoting (printable ASCII stays, everything else as \xHH bytes of its UTF-8).
 */
function shellWord(text: string): string {
  const run = /(.)\1{63,}/su.exec(text)
  if (run) {
    const [whole, char] = run as unknown as [string, string]
    const repeat = `"$(printf '%${whole.length / char.length}s' '' | sed 's/ /${char}/g')"`
    if (/^[A-Za-z0-9._~-]$/.test(char))
      return [text.slice(0, run.index), text.slice(run.index + whole.length)]
        .map((part) => (part === '' ? '' : ansiQuote(part)))
        .join(repeat)
  }
  return ansiQuote(text)
}

function ansiQuote(text: string): string {
  const bytes = Buffer.from(text, 'utf8')
  let out = ''
  for (const byte of bytes) {
    if (byte === 0x27 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte)
    else out += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return `$'${out}'`
}

/**
 * A ready-to-paste curl command for a request (against `baseUrl`, e.g. the quickstart's registry). The bearer
 * token is left as $TOKEN (tokens of a run expire with it); the body travels base64-encoded through a pipe. curl
 * cannot send a NUL in a header: such a header is kept in the command and curl cuts it there.
 */
export function toCurl(request: WireRequest, baseUrl: string): string {
  const parts = ['curl', '-sS', '-i', '--path-as-is', '-g', '-X', request.method]
  parts.push(shellWord(`${baseUrl}${request.target}`))
  for (const [name, value] of request.headers) {
    // A real token (or the `{{token}}` of a saved case) becomes $TOKEN, in double quotes so that bash expands it.
    const shown = /^authorization$/i.test(name)
      ? value.replace(/ey[\w-]+\.[\w-]+\.[\w-]+|\{\{token\}\}/, '$TOKEN')
      : value
    const expandable = shown.includes('$TOKEN') && /^[\x20-\x7e]*$/.test(shown) && !/["\\`]/.test(shown)
    parts.push('-H', expandable ? `"${name}: ${shown}"` : shellWord(`${name}: ${shown}`))
  }
  if (request.body && request.body.length > 0) {
    // curl would add a form content type of its own: `Content-Type:` removes it when the case sent none.
    if (!request.headers.some(([name]) => /^content-type$/i.test(name))) parts.push('-H', "'Content-Type:'")
    parts.push('--data-binary', '@-')
    return `printf %s '${request.body.toString('base64')}' | base64 -d | ${parts.join(' ')}`
  }
  return parts.join(' ')
}
