/** `reject`: mark a digest as never to reach PRD. */
import { writeFileSync } from 'node:fs'
import type { RejectionRecord } from '../attestations.ts'
import { resolveDigest } from '../promotion.ts'
import { type AccEvidence, type LedgerEntry, ReleaseError } from '../schemas.ts'
import { type Context, required } from './context.ts'

export function reject(ctx: Context): number {
  const digest = resolveDigest({ decision: 'reject', digest: required(ctx.values, 'digest') }, [])
  const reason = required(ctx.values, 'reason')
  const ledger = ctx.ledger()
  const evidence = ctx.evidence(digest) as AccEvidence | undefined
  const commit =
    evidence?.commit ?? ledger.findLast((entry) => entry.digest === digest && entry.commit)?.commit
  if (!commit)
    throw new ReleaseError('INVALID_INPUT', `${digest} is unknown to the ledger: nothing to reject`)
  const entry: LedgerEntry = {
    schema: 'ebox.ledger/v1',
    at: ctx.now().toISOString(),
    environment: 'prd',
    action: 'reject',
    outcome: 'succeeded',
    digest,
    commit,
    actor: ctx.actor,
    approvedBy: [],
    runUrl: ctx.runUrl,
    reasons: [reason],
  }
  // The statement reject-digest.yml signs on the digest: what `check` trusts. The ledger line is history.
  const signed: RejectionRecord = { digest, reason, actor: ctx.actor, at: entry.at }
  if (ctx.values.out) writeFileSync(ctx.values.out, `${JSON.stringify(signed, null, 2)}\n`)
  ctx.record(`prd: ${digest} rejected by ${ctx.actor}`, [entry])
  ctx.io.stderr(`${digest} is rejected: it will never be promoted to PRD\n`)
  return 0
}
