#!/usr/bin/env node
/**
 * What a client sees while PostgreSQL restarts under the registry (docs/operations.md, "Failover behaviour").
 * Sends GET requests in a closed loop with `--concurrency` callers for `--duration-ms`; after `--restart-at-ms`
 * runs the `--restart` command (e.g. `pg_ctl restart -m fast` of a throw-away cluster); prints the statuses
 * counted, the window of failures and the time from the restart command to the first success after it.
 *   node scripts/failover-measure.mjs --url http://127.0.0.1:18480/ebox/messages --token … --restart '…'
 *     [--duration-ms 15000] [--restart-at-ms 5000] [--concurrency 4]
 */
import { exec } from 'node:child_process'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    restart: { type: 'string' },
    'duration-ms': { type: 'string', default: '15000' },
    'restart-at-ms': { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '4' },
  },
})
const { url, token, restart: restartCommand } = values
if (!url || !restartCommand) {
  console.error('--url and --restart are required (--token optional)')
  process.exit(2)
}
const duration = Number(values['duration-ms'])
const restartAt = Number(values['restart-at-ms'])
const concurrency = Number(values.concurrency)

const start = performance.now()
const results = []
let restart
async function caller() {
  while (performance.now() - start < duration) {
    const sent = performance.now() - start
    let status
    let retryAfter = null
    try {
      const response = await fetch(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(10_000),
      })
      status = response.status
      retryAfter = response.headers.get('retry-after')
      await response.arrayBuffer()
    } catch (error) {
      status = `error:${error.cause?.code ?? error.name}`
    }
    results.push({ sent, done: performance.now() - start, status, retryAfter })
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
// Asynchronous, so the callers keep sending while the server restarts.
const restartTimer = setTimeout(() => {
  restart = { issued: performance.now() - start }
  exec(restartCommand, () => {
    restart.returned = performance.now() - start
  })
}, restartAt)
await Promise.all(Array.from({ length: concurrency }, caller))
clearTimeout(restartTimer)

const counts = {}
for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1
const failures = results.filter((r) => r.status !== 200)
const after = results.filter((r) => restart && r.sent >= restart.issued)
const lastFailure = failures.at(-1)
const recovered = after.find((r) => r.status === 200 && (!lastFailure || r.sent > lastFailure.sent))
const ms = (value) => (value === undefined ? '-' : `${Math.round(value)} ms`)
console.log(
  JSON.stringify(
    {
      requests: results.length,
      statuses: counts,
      retryAfter: [...new Set(failures.map((r) => r.retryAfter))],
      restartCommand: restart && {
        issuedAt: ms(restart.issued),
        tookMs: ms(restart.returned - restart.issued),
      },
      firstFailure: ms(failures[0]?.sent),
      lastFailure: ms(lastFailure?.sent),
      firstSuccessAfterRestart: recovered && ms(recovered.done - restart.issued),
    },
    null,
    2,
  ),
)
