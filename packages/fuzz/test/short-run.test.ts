import { afterAll, beforeAll, expect, it } from 'vitest'
import { runCampaign, summarise } from '../src/campaign.ts'
import { type FuzzTarget, startFuzzTarget } from '../src/target.ts'

/**
 * The short run of `pnpm test`: about a minute over every operation, with a seed that changes every day (so the
 * suite explores while any failure stays reproducible: the seed is printed; FUZZ_SEED replays it).
 */
const DURATION_SECONDS = Number(process.env.FUZZ_DURATION ?? 50)
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Date.now() / 86_400_000))

let target: FuzzTarget
beforeAll(async () => {
  target = await startFuzzTarget()
})
afterAll(() => target?.close())

it(
  `fuzzes every operation for ${DURATION_SECONDS} s (seed ${seed}) with no oracle failure`,
  async () => {
    const started = performance.now()
    const lines: string[] = []
    const result = await runCampaign(target, {
      durationSeconds: DURATION_SECONDS,
      seed,
      saveTo: false,
      log: (line) => lines.push(line),
    })
    console.log(`${lines.join('\n')}\n${summarise(result, (performance.now() - started) / 1000)}`)
    const unexercised = result.operations.filter((operation) => !result.requests.get(operation.key))
    expect(result.operations.length).toBeGreaterThan(20)
    expect(unexercised.map((operation) => operation.key)).toEqual([])
    expect(
      result.failures.map((found) => `${found.operation}: ${found.failure.oracle} ${found.failure.detail}`),
    ).toEqual([])
    expect(result.databaseProblems.map((problem) => problem.problem)).toEqual([])
  },
  (DURATION_SECONDS + 120) * 1000,
)
