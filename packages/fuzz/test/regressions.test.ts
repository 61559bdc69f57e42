import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fetchOperations } from '../src/campaign.ts'
import type { Operation } from '../src/openapi.ts'
import { checkAnswer } from '../src/oracles.ts'
import { fromRegression, loadRegressions } from '../src/regressions.ts'
import { sendCase } from '../src/send.ts'
import { type FuzzTarget, REQUEST_TIMEOUT_MS, startFuzzTarget } from '../src/target.ts'

/** Every counterexample the fuzzer ever saved, replayed against the service: each must now keep every oracle. */
const regressions = await loadRegressions()

let target: FuzzTarget
let operations: Operation[]
beforeAll(async () => {
  target = await startFuzzTarget()
  operations = await fetchOperations(target.url)
})
afterAll(() => target?.close())

describe('saved fuzz regressions', () => {
  it('are there to replay', () => {
    expect(regressions.length).toBeGreaterThan(0)
  })

  it.each(regressions.map((regression) => [regression.file, regression.case] as const))(
    '%s keeps every oracle',
    async (_file, regression) => {
      const fuzzCase = fromRegression(regression)
      const operation = operations.find((candidate) => candidate.key === regression.operation)
      expect(operation, `${regression.operation} is in the OpenAPI document`).toBeDefined()
      const outcome = await sendCase(target.url, fuzzCase, target.tokens, {
        correlationId: `regression-${_file}`,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      })
      expect(outcome.kind).toBe('answer')
      const failures = checkAnswer(fuzzCase, operation, outcome, {
        demoMessages: target.demoMessages,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      })
      expect(failures).toEqual([])
    },
  )
})
