/** `check`: may this digest go to PRD now? Exit 1 on refusal. */
import { writeFileSync } from 'node:fs'
import { evaluatePromotion, evaluateRollback } from '../promotion.ts'
import { ReleaseError } from '../schemas.ts'
import { type Context, decisionOf, required } from './context.ts'

export function check(ctx: Context): number {
  const decision = decisionOf(ctx.values)
  if (decision === 'reject') throw new ReleaseError('INVALID_INPUT', 'check takes promote or rollback')
  const digest = required(ctx.values, 'digest')
  const common = {
    digest,
    repository: ctx.repository(),
    ledger: ctx.ledger(),
    verification: {
      signature: required(ctx.values, 'signature'),
      provenance: required(ctx.values, 'provenance'),
    },
    now: ctx.now(),
    allowWaiting: ctx.values['allow-waiting'] === true,
  }
  const verdict =
    decision === 'rollback'
      ? evaluateRollback(common)
      : evaluatePromotion({
          ...common,
          evidence: ctx.evidence(digest),
          calendar: ctx.calendar(),
          policy: ctx.policy(),
        })
  writeFileSync(ctx.values.out ?? 'verdict.json', `${JSON.stringify(verdict, null, 2)}\n`)
  for (const refusal of verdict.refusals)
    ctx.io.stderr(`${verdict.promotable ? '::warning::' : '::error::'}${refusal.code}: ${refusal.message}\n`)
  ctx.output({
    promotable: String(verdict.promotable),
    digest,
    image: verdict.candidate?.image,
    commit: verdict.candidate?.commit,
    'rollback-image': verdict.rollbackTo && `${ctx.repository()}@${verdict.rollbackTo.digest}`,
    'rollback-commit': verdict.rollbackTo?.commit,
  })
  return verdict.promotable ? 0 : 1
}
