import { parseArgs } from 'node:util'
import { DEFAULT_CLI_PORT } from './constants.ts'
import { assertNotProduction, TokenIssuerError } from './errors.ts'
import { startTokenIssuer } from './issuer.ts'

export const USAGE = `Usage:
  ebox-token-issuer [serve] [--port ${DEFAULT_CLI_PORT}] [--host 127.0.0.1] [--issuer ISS] [--audience AUD] [--ttl SECONDS]
      [--allow-non-loopback]
      Starts the stand-in OAuth server; prints one JSON line with its URLs; stops on SIGINT/SIGTERM.
  ebox-token-issuer mint --scope SCOPE [--scope SCOPE...] [--cbe N] [--ssin N] [--sub S] [--client-id ID]
      [--expires-in SECONDS] [--not-before EPOCH] [--audience AUD] [--issuer ISS] [--extra JSON] [--url URL]
      Asks a running issuer (--url, else $EBOX_TOKEN_ISSUER_URL, else http://127.0.0.1:${DEFAULT_CLI_PORT}) for a token
      and prints it.`

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}

class UsageError extends Error {}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, got ${value}`)
  return Number(value)
}

async function serve(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      ttl: { type: 'string' },
      'allow-non-loopback': { type: 'boolean' },
    },
  })
  const issuer = await startTokenIssuer({
    port: integer('port', values.port) ?? DEFAULT_CLI_PORT,
    host: values.host,
    issuer: values.issuer,
    audience: values.audience,
    tokenTtlSeconds: integer('ttl', values.ttl),
    allowNonLoopback: values['allow-non-loopback'],
  })
  const { url, jwksUrl, tokenUrl, introspectionUrl, metadataUrl, audience } = issuer
  io.stdout(
    `${JSON.stringify({ url, issuer: issuer.issuer, audience, jwksUrl, tokenUrl, introspectionUrl, metadataUrl })}\n`,
  )
  const stop = (): void => {
    void issuer.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return 0
}

async function mint(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      url: { type: 'string' },
      scope: { type: 'string', multiple: true },
      cbe: { type: 'string' },
      ssin: { type: 'string' },
      sub: { type: 'string' },
      'client-id': { type: 'string' },
      'expires-in': { type: 'string' },
      'not-before': { type: 'string' },
      audience: { type: 'string' },
      issuer: { type: 'string' },
      extra: { type: 'string' },
    },
  })
  let extra: unknown
  if (values.extra !== undefined) {
    try {
      extra = JSON.parse(values.extra)
    } catch {
      throw new UsageError('--extra must be a JSON object')
    }
  }
  const base = values.url ?? io.env.EBOX_TOKEN_ISSUER_URL ?? `http://127.0.0.1:${DEFAULT_CLI_PORT}`
  const body = {
    scopes: (values.scope ?? []).flatMap((scope) => scope.split(' ')).filter((scope) => scope.length > 0),
    cbe: values.cbe,
    ssin: values.ssin,
    sub: values.sub,
    clientId: values['client-id'],
    expiresIn: integer('expires-in', values['expires-in']),
    notBefore: integer('not-before', values['not-before']),
    audience: values.audience,
    issuer: values.issuer,
    extra,
  }
  let response: Response
  try {
    response = await fetch(new URL('/dev/mint', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    io.stderr(`ebox-token-issuer: no token issuer reachable at ${base}${cause}\n`)
    return 1
  }
  const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>
  if (!response.ok || typeof answer.access_token !== 'string') {
    io.stderr(
      `ebox-token-issuer: mint failed (${response.status}): ${String(answer.error_description ?? answer.error ?? 'no token')}\n`,
    )
    return 1
  }
  io.stdout(`${answer.access_token}\n`)
  return 0
}

/** Runs the CLI; resolves to the exit code (`serve` resolves once listening and keeps the process alive). */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [first, ...rest] = argv
  const command = first === undefined || first.startsWith('-') ? 'serve' : first
  const args = command === first ? rest : [...argv]
  if (command === 'help' || args.includes('--help') || args.includes('-h')) {
    io.stdout(`${USAGE}\n`)
    return 0
  }
  try {
    assertNotProduction(io.env)
    switch (command) {
      case 'serve':
        return await serve(args, io)
      case 'mint':
        return await mint(args, io)
      default:
        throw new UsageError(`unknown command: ${command}`)
    }
  } catch (error) {
    if (error instanceof TokenIssuerError) {
      io.stderr(`ebox-token-issuer: ${error.message}\n`)
      return 1
    }
    if (error instanceof UsageError || (error instanceof Error && isParseArgsError(error))) {
      io.stderr(`ebox-token-issuer: ${error.message}\n${USAGE}\n`)
      return 2
    }
    const message = error instanceof Error ? error.message : String(error)
    io.stderr(`ebox-token-issuer: ${message}\n`)
    return 1
  }
}

function isParseArgsError(error: Error & { code?: unknown }): boolean {
  return typeof error.code === 'string' && error.code.startsWith('ERR_PARSE_ARGS')
}
