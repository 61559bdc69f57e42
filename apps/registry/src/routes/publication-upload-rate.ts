import type { IncomingMessage } from 'node:http'
import { RegistryError } from '@ebox/contract'

/**
 * The minimum upload rate of a publication body: every `windowSeconds`, the bytes received in the window must
 * reach `minBytesPerSecond × windowSeconds`, or the upload is cut with 408 (and the connection closed). A body
 * that stalls holds a staging file and a socket for one window at most — never a database connection.
 */
export interface UploadRateWatch {
  /** Rejects with the 408 when the body stalls; never resolves. */
  readonly stalled: Promise<never>
  stop(): void
}

export function watchUploadRate(
  raw: IncomingMessage,
  minBytesPerSecond: number,
  windowSeconds: number,
): UploadRateWatch {
  let reject: (error: RegistryError) => void = () => {}
  const stalled = new Promise<never>((_resolve, fail) => {
    reject = fail
  })
  stalled.catch(() => {}) // observed by whoever races it; a stall after the response matters to no one
  if (minBytesPerSecond === 0) return { stalled, stop: () => {} }

  let received = 0
  const onData = (chunk: Buffer) => {
    received += chunk.length
  }
  const stop = () => {
    clearInterval(timer)
    raw.off('data', onData)
  }
  const timer = setInterval(() => {
    if (raw.complete) return stop()
    if (received < minBytesPerSecond * windowSeconds) {
      stop()
      reject(
        new RegistryError(
          'REQUEST_TIMEOUT',
          `The body arrived slower than ${minBytesPerSecond} bytes per second over ${windowSeconds} s; send it ` +
            'again without pauses.',
          { headers: { connection: 'close' } },
        ),
      )
    }
    received = 0
  }, windowSeconds * 1000)
  timer.unref()
  raw.on('data', onData)
  return { stalled, stop }
}
