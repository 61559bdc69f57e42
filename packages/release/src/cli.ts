/**
 * `ebox-release <command>`: what the workflows call. Each command reads files and flags, asks the tested
 * modules for a decision, and prints `key=value` lines for $GITHUB_OUTPUT on stdout; messages go to stderr,
 * as GitHub annotations when they matter.
 */

import { parseArgs } from 'node:util'
import { BOARD_USAGE, boardCommand } from './board/command.ts'
import { accOrder, accRecord, accVerification } from './commands/acc-attest.ts'
import { check } from './commands/check.ts'
import { type CliIo, Context, OPTIONS, processIo } from './commands/context.ts'
import { current } from './commands/current.ts'
import { approvals, planCheck, planSeal } from './commands/deploy-guards.ts'
import { freeze } from './commands/freeze.ts'
import { lintWorkflowsCommand } from './commands/lint-workflows.ts'
import { loadCheckCommand } from './commands/load-check.ts'
import { reject } from './commands/reject.ts'
import { resolve } from './commands/resolve.ts'
import { settleCommand } from './commands/settle.ts'
import { summary } from './commands/summary.ts'
import { waitReadyCommand } from './commands/wait-ready.ts'
import { ReleaseError } from './schemas.ts'

export type { CliIo } from './commands/context.ts'
export { LEDGER_FILE } from './commands/context.ts'
export { parseOutcomes } from './commands/settle.ts'

export const USAGE = `Usage: ebox-release <command> [options]
  current   --env acc|prd                       what the stack runs (digest, commit, image)
  resolve   --decision D [--digest D] [--commit SHA]  the digest a run is about
  check     --decision promote|rollback --digest D --signature OUTCOME --provenance OUTCOME
            --trusted-root FILE --attestations DIR [--repo-dir DIR] [--main-ref origin/main]
            [--allow-waiting] [--now ISO] [--out verdict.json]   refuse or allow; exit 1 on refusal
  acc-order --commit SHA [--repo-dir DIR]       refuse a commit older than what ACC runs
  acc-record --event arrived|departed --digest D --commit SHA [--counterpart D] --out FILE
                                                the ACC deploy record deploy-acc.yml signs (counterpart:
                                                the digest replaced, or the replacement)
  acc-verification --digest D --commit SHA --deployed-at ISO --conformance-dir DIR --load-report FILE
            [--migrations-dir DIR] --out FILE   the ACC verification deploy-acc.yml signs
  approvals --approvals-file FILE --run-attempt N   this attempt approved by someone else (N: the gate's attempt)
  plan-seal --env prd --plan-file FILE --stack-state FILE --digest IMAGE --commit SHA --out FILE
  plan-check --env prd --plan-file FILE --evidence SEAL --stack-state FILE --digest IMAGE --commit SHA
                                                refuse a saved plan too old, altered or for another stack state
  summary   --verdict verdict.json [--repo-dir DIR] [--allow-waiting]   markdown for the approver
  settle    --env acc|prd --action deploy|promote|rollback --digest D [--commit SHA] --outcomes 'up=success …'
            [--verdict FILE] [--approved-by a,b] [--evidence FILE --bundle FILE --conformance-dir DIR
            --load-report FILE]
  reject    --digest D --reason TEXT [--out FILE]   mark a digest as never to reach PRD (FILE: what to sign)
  wait-ready --url URL [--timeout-seconds 300]
  load-check --base-url URL [--out FILE]        the policy's short load check; exit 1 when over its limits
  freeze    [--at ISO]                          is PRD frozen at that instant (default now)
  lint-workflows [--root DIR]                   actionlint and the pipeline's invariants
${BOARD_USAGE}
Common: --ledger-dir DIR (.ledger), --branch NAME (promotion-ledger), --calendar FILE, --policy FILE,
        --repository REPO ($IMAGE_REPOSITORY)`

const COMMANDS: Record<string, (ctx: Context) => number | Promise<number>> = {
  current,
  resolve,
  check,
  summary,
  'acc-order': accOrder,
  'acc-record': accRecord,
  'acc-verification': accVerification,
  approvals,
  'plan-seal': planSeal,
  'plan-check': planCheck,
  settle: settleCommand,
  reject,
  'wait-ready': waitReadyCommand,
  'load-check': loadCheckCommand,
  freeze,
  'lint-workflows': lintWorkflowsCommand,
}

// `board` parses its own options (src/board/command.ts).
export const COMMAND_NAMES = [...Object.keys(COMMANDS), 'board']

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv
  if (name === 'board') return boardCommand(args, io)
  const command = name && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!command) {
    io.stderr(`${USAGE}\n`)
    return name === undefined || name === '--help' ? 0 : 2
  }
  try {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false })
    return await command(new Context(values, io))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`::error::ebox-release ${name}: ${message}\n`)
    return error instanceof ReleaseError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
      ? 2
      : 1
  }
}
