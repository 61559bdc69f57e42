/** `current`: what a stack runs, as the ledger records it. */
import { currentDeployment } from '../ledger.ts'
import { type Context, environment } from './context.ts'

export function current(ctx: Context): number {
  const env = environment(ctx.values)
  const repository = ctx.repository()
  const deployed = currentDeployment(ctx.ledger(), env)
  if (!deployed) ctx.io.stderr(`the ledger records no deployment to ${env}\n`)
  ctx.output({
    digest: deployed?.digest,
    commit: deployed?.commit,
    image: deployed && `${repository}@${deployed.digest}`,
  })
  return 0
}
