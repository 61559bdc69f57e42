/**
 * Was THIS attempt of a PRD deployment approved, by someone else? GitHub's review log of a run
 * (`GET /repos/{owner}/{repo}/actions/runs/{id}/approvals`) keeps every review of every attempt, without
 * attempt numbers, and re-running failed jobs passes the environment again without a new review while
 * reusing the gate's outputs. So: the gate must have run in this attempt, the last review of the environment
 * must be an approval, and there must be at least as many independent approvals as attempts — each attempt
 * after the first needs a review of its own.
 */
export interface Review {
  state: string
  user: { login: string }
  environments: { name: string }[]
  comment?: string
}

export interface AttemptInput {
  reviews: Review[]
  environment: string
  runAttempt: number
  /** The attempt in which the gate job (check, preview, saved plan) ran: its outputs say so. */
  gateAttempt: number
  /** Who started the run and who started this attempt: neither may approve it. */
  actors: string[]
}

export type AttemptApproval = { ok: true; approvers: string[] } | { ok: false; reason: string }

export function attemptApproval(input: AttemptInput): AttemptApproval {
  const { environment, runAttempt } = input
  if (!Number.isInteger(runAttempt) || runAttempt < 1)
    return { ok: false, reason: `bad run attempt ${runAttempt}` }
  if (input.gateAttempt !== runAttempt)
    return {
      ok: false,
      reason: `the gate ran in attempt ${input.gateAttempt}, this is attempt ${runAttempt}: a re-run reuses an old check and plan; start a new run`,
    }
  const reviews = input.reviews.filter((review) =>
    review.environments.some((env) => env.name === environment),
  )
  const last = reviews.at(-1)
  if (!last) return { ok: false, reason: `nobody reviewed the ${environment} deployment of this run` }
  if (last.state !== 'approved')
    return { ok: false, reason: `the last review of ${environment} is ${last.state} (by ${last.user.login})` }
  const actors = new Set(input.actors.filter(Boolean).map((login) => login.toLowerCase()))
  const independent = reviews.filter(
    (review) => review.state === 'approved' && !actors.has(review.user.login.toLowerCase()),
  )
  if (independent.length < runAttempt)
    return {
      ok: false,
      reason:
        independent.length === 0
          ? `${environment} was approved only by who started the run (${[...actors].join(', ')}): a second person must approve`
          : `attempt ${runAttempt} has ${independent.length} independent approval(s) in the run's review log: this attempt was not reviewed`,
    }
  return { ok: true, approvers: [...new Set(independent.map((review) => review.user.login))] }
}
