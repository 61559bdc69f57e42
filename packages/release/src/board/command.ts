/** `ebox-release board`: renders the release board to DIR/index.html from the ledger, or from the sample. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { CliIo } from '../cli.ts'
import { ReleaseError } from '../schemas.ts'
import { buildBoard } from './model.ts'
import { renderBoard } from './render.ts'
import { type BoardSource, liveSource, sampleSource } from './sources.ts'

export const BOARD_USAGE = `  board     --out DIR [--sample] [--now ISO] [--limit 10] [--repo-dir DIR]
            the release board: a static DIR/index.html (--sample: from the sample ledger in the package)`

const OPTIONS = {
  out: { type: 'string' },
  sample: { type: 'boolean' },
  now: { type: 'string' },
  limit: { type: 'string' },
  'repo-dir': { type: 'string' },
  'ledger-dir': { type: 'string' },
  calendar: { type: 'string' },
  policy: { type: 'string' },
  repository: { type: 'string' },
} as const

function instant(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined
  const date = new Date(text)
  if (Number.isNaN(date.getTime())) throw new ReleaseError('INVALID_INPUT', `not an instant: ${text}`)
  return date
}

function source(values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'], io: CliIo) {
  const now = instant(values.now)
  if (values.sample) return sampleSource(undefined, now)
  const repository = values.repository ?? io.env.IMAGE_REPOSITORY ?? ''
  // The evidence names repository@digest: with another repository every candidate would look invalid.
  if (!/^[a-z0-9][a-z0-9./_-]*$/.test(repository))
    throw new ReleaseError(
      'INVALID_INPUT',
      `the image repository (--repository or $IMAGE_REPOSITORY) is missing or not lowercase: "${repository}"`,
    )
  const { GITHUB_SERVER_URL: server = 'https://github.com', GITHUB_REPOSITORY: repo = 'unknown/unknown' } =
    io.env
  return liveSource({
    ledgerDir: values['ledger-dir'] ?? '.ledger',
    calendar: values.calendar ?? 'release/freeze-calendar.yaml',
    policy: values.policy ?? 'release/policy.yaml',
    repoDir: values['repo-dir'] ?? '.',
    repository,
    repositoryUrl: `${server}/${repo}`,
    now: now ?? new Date(),
  }) satisfies BoardSource
}

export async function boardCommand(args: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false })
    if (!values.out) throw new ReleaseError('INVALID_INPUT', '--out is required')
    const limit = Number(values.limit ?? 10)
    if (!Number.isInteger(limit) || limit < 1)
      throw new ReleaseError('INVALID_INPUT', `--limit must be a positive integer, not ${values.limit}`)
    const board = buildBoard({ ...source(values, io), limit })
    mkdirSync(values.out, { recursive: true })
    const path = join(values.out, 'index.html')
    writeFileSync(path, renderBoard(board))
    io.stderr(`release board written to ${path}\n`)
    io.stdout(`board=${path}\n`)
    return 0
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`::error::ebox-release board: ${message}\n`)
    const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    return error instanceof ReleaseError || usage ? 2 : 1
  }
}
