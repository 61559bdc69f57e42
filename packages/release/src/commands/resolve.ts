/** `resolve`: the digest a run is about. */
import { resolveDigest } from '../promotion.ts'
import { type Context, decisionOf } from './context.ts'

export function resolve(ctx: Context): number {
  const { digest, commit } = ctx.values
  ctx.output({ digest: resolveDigest({ decision: decisionOf(ctx.values), digest, commit }, ctx.ledger()) })
  return 0
}
