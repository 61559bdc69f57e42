/**
 * `check`: may this digest go to PRD now? Exit 1 on refusal. Trusts only signed statements (attestations.ts);
 * the ledger tells what ran where, to find the rollback target, and can only add refusals.
 */
import { writeFileSync } from 'node:fs'
import type { DigestAttestations } from '../attestations.ts'
import { isAncestor } from '../git.ts'
import { everDeployed } from '../ledger.ts'
import { evaluatePromotion, evaluateRollback } from '../promotion.ts'
import { ReleaseError } from '../schemas.ts'
import { type Context, decisionOf, required } from './context.ts'

export function check(ctx: Context): number {
  const decision = decisionOf(ctx.values)
  if (decision === 'reject') throw new ReleaseError('INVALID_INPUT', 'check takes promote or rollback')
  const digest = required(ctx.values, 'digest')
  const trust = ctx.trust()
  const ledger = ctx.ledger()
  const attested = ctx.attested(digest, trust)
  const history: Record<string, DigestAttestations> = {}
  for (const entry of ledger)
    if (
      entry.environment === 'prd' &&
      !(entry.digest in history) &&
      everDeployed(ledger, 'prd', entry.digest)
    )
      history[entry.digest] = ctx.attested(entry.digest, trust)
  const common = {
    digest,
    repository: ctx.repository(),
    ledger,
    attested,
    history,
    verification: {
      signature: required(ctx.values, 'signature'),
      provenance: required(ctx.values, 'provenance'),
    },
    now: ctx.now(),
  }
  const commit = attested.verification?.predicate.commit
  const onMain =
    commit !== undefined &&
    isAncestor(ctx.values['repo-dir'] ?? '.', commit, ctx.values['main-ref'] ?? 'origin/main')
  const verdict =
    decision === 'rollback'
      ? evaluateRollback(common)
      : evaluatePromotion({
          ...common,
          onMain,
          calendar: ctx.calendar(),
          policy: ctx.policy(),
          allowWaiting: ctx.values['allow-waiting'] === true,
        })
  writeFileSync(ctx.values.out ?? 'verdict.json', `${JSON.stringify(verdict, null, 2)}\n`)
  for (const refusal of verdict.refusals)
    ctx.io.stderr(`${verdict.promotable ? '::warning::' : '::error::'}${refusal.code}: ${refusal.message}\n`)
  if (verdict.noRollback) ctx.io.stderr(`::warning::no automatic rollback: ${verdict.noRollback}\n`)
  ctx.output({
    promotable: String(verdict.promotable),
    digest,
    image: verdict.candidate?.image,
    commit: verdict.candidate?.commit,
    'rollback-image': verdict.rollbackTo && `${ctx.repository()}@${verdict.rollbackTo.digest}`,
    'rollback-commit': verdict.rollbackTo?.commit,
    'no-rollback': verdict.noRollback,
  })
  return verdict.promotable ? 0 : 1
}
