/** `wait-ready`: poll a readiness URL until it answers. */
import { waitReady } from '../load.ts'
import { type Context, required } from './context.ts'

export async function waitReadyCommand(ctx: Context): Promise<number> {
  const url = required(ctx.values, 'url')
  const timeoutSeconds = Number(ctx.values['timeout-seconds'] ?? 300)
  await waitReady(url, { timeoutMs: timeoutSeconds * 1000 })
  ctx.io.stderr(`${url} is ready\n`)
  return 0
}
