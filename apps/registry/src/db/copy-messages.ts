import type { Writable } from 'node:stream'
import { type CopyStreamQuery, from as copyFrom } from 'pg-copy-streams'

/** The part of pg-copy-streams 7.0.0's COPY FROM stream (pinned) that this module replaces. */
interface CopyFromInternals {
  connection: { stream: Writable }
  flushChunk(message: Buffer[]): boolean
}

/** CopyData's message type ('d'). */
const COPY_DATA = 0x64

/**
 * A `COPY … FROM STDIN` stream (pg-copy-streams) in object mode: each write is a list of buffers, sent as ONE
 * CopyData message in one socket write (the connection's socket corked around it). pg-copy-streams itself makes
 * a message of each buffer, and writes its 5-byte header and its payload separately: two system calls and two
 * TCP segments per buffer, each waking the backend up (BENCHMARKS.md, "Publication, 1 MB").
 * The list's buffers are written as they are, never copied into one.
 */
export function copyFromInMessages(sql: string): CopyStreamQuery {
  // One message at a time: a file staged on disk is not read ahead of the socket.
  const copy = copyFrom(sql, { objectMode: true, highWaterMark: 1 })
  const internals = copy as unknown as CopyFromInternals
  internals.flushChunk = function (message: Buffer[]) {
    let length = 4
    for (const part of message) length += part.length
    const header = Buffer.allocUnsafe(5)
    header[0] = COPY_DATA
    header.writeUInt32BE(length, 1)
    const socket = this.connection.stream
    socket.cork()
    try {
      let ok = socket.write(header)
      for (const part of message) ok = socket.write(part)
      return ok
    } finally {
      // Uncorked in the same tick: the socket writes the message as one writev.
      socket.uncork()
    }
  }
  return copy
}
