import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** How one slow connection ended: closed by the server after `closedAfterMs`, or still open at the end. */
export interface SlowConnection {
  kind: 'slowloris' | 'trickle-body' | 'unread-download'
  closedAfterMs: number | undefined
  /** First line of the answer, if the server answered. */
  answer: string | undefined
  /** Bytes of the answer the client received (the unread download: what the kernel buffered). */
  receivedBytes: number
}

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket))
    socket.once('error', reject)
  })
}

/**
 * Opens one slow connection and keeps it slow for at most `holdMs`: headers one byte per second (slowloris), a
 * publication body one byte per second, or a download whose answer is never read (the socket paused).
 */
export async function slowConnection(
  url: string,
  kind: SlowConnection['kind'],
  options: { holdMs: number; token: string; downloadPath?: string },
): Promise<SlowConnection> {
  const socket = await open(url)
  const started = Date.now()
  let closedAt: number | undefined
  let answer: string | undefined
  let receivedBytes = 0
  socket.on('data', (chunk: Buffer) => {
    if (answer === undefined) answer = chunk.toString('latin1').split('\r\n')[0]
    receivedBytes += chunk.length
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    closedAt = Date.now()
  })
  const host = new URL(url).host
  const until = started + options.holdMs
  const drip = async (text: string) => {
    for (const char of text) {
      if (closedAt !== undefined || Date.now() > until) return
      socket.write(char)
      await sleep(1_000)
    }
  }
  if (kind === 'slowloris') {
    socket.write(`GET /health/live HTTP/1.1\r\nHost: ${host}\r\n`)
    await drip('X-Slow: ' + 'a'.repeat(10_000))
  } else if (kind === 'trickle-body') {
    socket.write(
      `POST /ebox/messages HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${options.token}\r\n` +
        'Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n',
    )
    await drip('--x\r\n' + 'a'.repeat(100_000))
  } else {
    socket.write(
      `GET ${options.downloadPath} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${options.token}\r\n\r\n`,
    )
    // Read the first bytes, then never again: the server's writes fill the socket buffers and must wait.
    await sleep(500)
    socket.pause()
    // A paused socket never sees the server's close (the FIN waits behind unread data): ask the kernel instead.
    const serverPort = Number(new URL(url).port)
    while (closedAt === undefined && Date.now() < until) {
      if (!serverHolds(serverPort, socket.localPort!)) closedAt = Date.now()
      else await sleep(250)
    }
  }
  while (closedAt === undefined && Date.now() < until) await sleep(250)
  socket.destroy()
  return {
    kind,
    closedAfterMs: closedAt === undefined ? undefined : closedAt - started,
    answer,
    receivedBytes,
  }
}

/**
 * Whether a process still holds the server side of the loopback connection `serverPort` ↔ `clientPort`: its
 * line in /proc/net/tcp names a socket inode. Once the server closes it, the kernel keeps the socket as an orphan
 * (inode 0) trying to send what the client does not read, or drops it.
 */
function serverHolds(serverPort: number, clientPort: number): boolean {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0')
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    if (fields[1]?.endsWith(`:${hex(serverPort)}`) && fields[2]?.endsWith(`:${hex(clientPort)}`))
      return fields[9] !== '0'
  }
  return false
}
