import fc from 'fast-check'
import { checkDatabase, type DatabaseProblem, newLedger, type RunLedger } from './database-oracle.ts'
import { caseArbitrary, type FuzzCase } from './generate.ts'
import { type OpenApiDocument, type Operation, operationsOf } from './openapi.ts'
import { checkAnswer, type Failure, failureSignature } from './oracles.ts'
import { type RegressionCase, saveRegression, toRegression } from './regressions.ts'
import { sendCase, withToken } from './send.ts'
import { type FuzzTarget, REQUEST_TIMEOUT_MS } from './target.ts'
import { toCurl, type WireOutcome } from './wire.ts'

/** Printed commands aim at the quickstart's registry (`pnpm start`), with its token in $TOKEN. */
const CURL_BASE = 'http://127.0.0.1:8080'

export interface CampaignOptions {
  durationSeconds: number
  seed: number
  /** Only the operations whose key contains this text (e.g. `POST /ebox/messages`). */
  only?: string
  /** Where new counterexamples are saved (default: the package's regressions/); `false`: not saved. */
  saveTo?: string | false
  log?: (line: string) => void
}

export interface FoundFailure {
  operation: string
  failure: Failure
  regression: RegressionCase
  file?: string
}

export interface CampaignResult {
  operations: Operation[]
  /** Requests sent per operation (shrinking included). */
  requests: Map<string, number>
  /** Answers per operation and status. */
  statuses: Map<string, Map<number | 'none', number>>
  failures: FoundFailure[]
  databaseProblems: DatabaseProblem[]
}

/** Reads the OpenAPI document the running service serves. */
export async function fetchOperations(baseUrl: string): Promise<Operation[]> {
  const response = await fetch(`${baseUrl}/openapi.json`)
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`)
  return operationsOf((await response.json()) as OpenApiDocument)
}

/**
 * Fuzzes every operation of the service's OpenAPI document for an equal share of `durationSeconds`, checks every
 * answer, shrinks each counterexample (fast-check), prints it as curl and saves it; a failure already found (same
 * operation, oracle and status) is not hunted again. Ends with the database oracle.
 */
export async function runCampaign(target: FuzzTarget, options: CampaignOptions): Promise<CampaignResult> {
  const log = options.log ?? console.log
  const operations = (await fetchOperations(target.url)).filter(
    (operation) => !options.only || operation.key.includes(options.only),
  )
  const result: CampaignResult = {
    operations,
    requests: new Map(operations.map((operation) => [operation.key, 0])),
    statuses: new Map(operations.map((operation) => [operation.key, new Map()])),
    failures: [],
    databaseProblems: [],
  }
  const ledger = newLedger()
  const known = new Set<string>()
  const context = { demoMessages: target.demoMessages, requestTimeoutMs: REQUEST_TIMEOUT_MS }
  const shareMs = (options.durationSeconds * 1000) / operations.length
  let sequence = 0

  const exercise = async (operation: Operation, fuzzCase: FuzzCase) => {
    const correlationId = `fuzz-${++sequence}`
    const outcome = await sendCase(target.url, fuzzCase, target.tokens, {
      correlationId,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    })
    result.requests.set(operation.key, (result.requests.get(operation.key) ?? 0) + 1)
    record(result, ledger, operation, fuzzCase, outcome, correlationId)
    return { outcome, failures: checkAnswer(fuzzCase, operation, outcome, context) }
  }
  const signature = (operation: Operation, failure: Failure, outcome: WireOutcome) =>
    failureSignature(operation.key, failure, outcome.kind === 'answer' ? outcome.response.status : 'none')

  for (const [index, operation] of operations.entries()) {
    const deadline = Date.now() + shareMs
    let attempt = 0
    while (Date.now() < deadline - 50) {
      const seed = options.seed + index * 1000 + attempt++
      const property = fc.asyncProperty(caseArbitrary(operation), async (fuzzCase) => {
        const { outcome, failures } = await exercise(operation, fuzzCase)
        return failures.every((failure) => known.has(signature(operation, failure, outcome)))
      })
      const details = await fc.check(property, {
        seed,
        numRuns: Number.MAX_SAFE_INTEGER,
        interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
        markInterruptAsFailure: false,
      })
      if (!details.failed || !details.counterexample) continue
      const [shrunk] = details.counterexample
      const { outcome, failures } = await exercise(operation, shrunk)
      const fresh = failures.filter((failure) => !known.has(signature(operation, failure, outcome)))
      for (const failure of fresh) {
        known.add(signature(operation, failure, outcome))
        const curl = toCurl(withToken(shrunk, target.tokens), CURL_BASE)
        const regression = toRegression(shrunk, failure, curl, seed)
        const file =
          options.saveTo === false ? undefined : await saveRegression(regression, options.saveTo || undefined)
        result.failures.push({ operation: operation.key, failure, regression, file })
        const status = outcome.kind === 'answer' ? outcome.response.status : 'no answer'
        log(`\nFAILURE ${operation.key}: ${failure.oracle} (${status}): ${failure.detail}`)
        log(`  role: ${shrunk.role}  seed: ${seed}${file ? `  saved: ${file}` : ''}`)
        log(`  ${curl.length > 2000 ? `${curl.slice(0, 2000)} … (the whole command is in the file)` : curl}`)
      }
      // A failure that did not reproduce (timing) is marked known too, so the search moves on.
      if (fresh.length === 0) known.add(`${operation.key} unreproduced ${seed}`)
    }
  }
  result.databaseProblems = await checkDatabase(
    target.databaseUrl,
    new Set(target.demoMessages.keys()),
    ledger,
  )
  return result
}

function record(
  result: CampaignResult,
  ledger: RunLedger,
  operation: Operation,
  fuzzCase: FuzzCase,
  outcome: WireOutcome,
  correlationId: string,
) {
  const status = outcome.kind === 'answer' ? outcome.response.status : 'none'
  const statuses = result.statuses.get(operation.key)!
  statuses.set(status, (statuses.get(status) ?? 0) + 1)
  if (outcome.kind !== 'answer') return
  const small = fuzzCase.request.target.length + (fuzzCase.request.body?.length ?? 0) < 16_384
  ledger.answers.set(correlationId, {
    method: fuzzCase.request.method,
    status: outcome.response.status,
    ...(small && { fuzzCase }),
  })
  if (outcome.response.status === 201) {
    try {
      const { messageId } = JSON.parse(outcome.response.body.toString('utf8')) as { messageId?: unknown }
      if (typeof messageId === 'string') ledger.published.add(messageId)
    } catch {
      // The response-schema oracle reports a 201 that is not JSON.
    }
  }
}

/** The figures of a run: requests and answers per operation, then the failures. */
export function summarise(result: CampaignResult, elapsedSeconds: number): string {
  const lines: string[] = []
  const width = Math.max(...result.operations.map((operation) => operation.key.length))
  let total = 0
  lines.push(`${'operation'.padEnd(width)}  requests  answers by status`)
  for (const operation of result.operations) {
    const count = result.requests.get(operation.key) ?? 0
    total += count
    const statuses = [...(result.statuses.get(operation.key) ?? new Map()).entries()]
      .sort(([a], [b]) => String(a).localeCompare(String(b)))
      .map(([status, n]) => `${status}:${n}`)
      .join(' ')
    lines.push(`${operation.key.padEnd(width)}  ${String(count).padStart(8)}  ${statuses}`)
  }
  const exercised = result.operations.filter(
    (operation) => (result.requests.get(operation.key) ?? 0) > 0,
  ).length
  lines.push(
    `${total} requests in ${elapsedSeconds.toFixed(0)} s (${(total / elapsedSeconds).toFixed(0)}/s); ` +
      `${exercised} of ${result.operations.length} operations exercised`,
  )
  lines.push(`${result.failures.length} oracle failures; ${result.databaseProblems.length} database problems`)
  for (const { problem, fuzzCase } of result.databaseProblems) {
    lines.push(`DATABASE: ${problem}`)
    if (fuzzCase)
      lines.push(`  ${fuzzCase.operation} as ${fuzzCase.role}: ${toCurl(fuzzCase.request, CURL_BASE)}`)
  }
  return lines.join('\n')
}
