import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { ALL_CHECKS } from './checks/index.ts'
import { ClientCredentialsError, requestClientCredentialsToken } from './client-credentials.ts'
import { resolveDataSet } from './data-sets.ts'
import type { DataSetExpectations } from './framework.ts'
import { toJUnit } from './reporters/junit.ts'
import { toMarkdown } from './reporters/markdown.ts'
import { formatResultLine, formatSummary } from './reporters/terminal.ts'
import { matchesSelector, runConformance } from './runner.ts'
import { localIssuerSources, type TokenSource } from './tokens.ts'
import { PROFILES, type Profile, type Report, ROLE_NAMES, ROLES, type Role } from './types.ts'

export const USAGE = `Usage:
  ebox-conformance --base-url URL [--profile prod|certification] [--report-dir DIR]
      [--token-command CMD] [--consultation-token-command CMD] [--referencedata-token-command CMD]
      [--publication-token-command CMD] [--certification-token-command CMD]
      [--other-ebox-token-command CMD] [--insufficient-scope-token-command CMD]
      [--local-issuer URL [--cbe N] [--other-cbe N]] [--data-set demo|none|FILE.json]
      [--only ID[,ID...]] [--max-messages N] [--timeout-ms N] [--portal-origin URL ...] [--no-color]
    Checks a running Message Registry from the outside. Exit code 0 when every mandatory check passes,
    1 otherwise, 2 on bad arguments.
    --profile prod (default)   read-only: GET requests only, never marks a message read (safe on production)
    --profile certification    resets the data set (/certification/resetDataSet) and runs every check
    Token commands run through the shell; their trimmed stdout is the bearer token. They see
    EBOX_CONFORMANCE_ROLE and EBOX_CONFORMANCE_SCOPE. --token-command is the default of the consultation,
    referencedata, publication and certification roles; other-ebox and insufficient-scope need their own.
    --local-issuer mints every role's token from a local @ebox/token-issuer (development only).
    --report-dir writes report.json, junit.xml and summary.md; $GITHUB_STEP_SUMMARY gets the summary too.
  ebox-conformance token --token-url URL --client-id ID (--key FILE | --key-env VAR) [--scope S ...]
      [--audience AUD] [--kid KID]
    Prints an access token from an OAuth server (client_credentials, private_key_jwt RS256): a token command
    for the federation's server. Scopes default to $EBOX_CONFORMANCE_SCOPE.
  ebox-conformance checks
    Lists the checks: id, profiles, mandatory or advisory, title and rule.`

export interface CliIo {
  stdout(text: string): void
  stderr(text: string): void
  env: NodeJS.ProcessEnv
  isTty?: boolean
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTty: process.stdout.isTTY,
}

class UsageError extends Error {}

const ROLE_OPTIONS = Object.fromEntries(
  ROLES.map((role) => [`${ROLE_NAMES[role]}-token-command`, { type: 'string' }]),
) as Record<string, { type: 'string' }>

/** Roles --token-command stands in for: not the other e-Box (a different e-Box) nor the scope-less token. */
const DEFAULTED_ROLES: readonly Role[] = ['consultation', 'referenceData', 'certification']

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--${name} must be a positive integer, got ${value}`)
  return Number(value)
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'base-url': { type: 'string' },
      profile: { type: 'string' },
      'report-dir': { type: 'string' },
      'token-command': { type: 'string' },
      ...ROLE_OPTIONS,
      'local-issuer': { type: 'string' },
      cbe: { type: 'string' },
      'other-cbe': { type: 'string' },
      'data-set': { type: 'string' },
      only: { type: 'string' },
      'max-messages': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-color': { type: 'boolean' },
      'portal-origin': { type: 'string', multiple: true },
    },
  })
  const baseUrl = values['base-url']
  if (!baseUrl) throw new UsageError('--base-url is required')
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol))
    throw new UsageError(`--base-url must be an http(s) URL, got ${baseUrl}`)
  const profile = (values.profile ?? 'prod') as Profile
  if (!PROFILES.includes(profile))
    throw new UsageError(`--profile must be prod or certification, got ${values.profile}`)

  const tokens: Partial<Record<Role, TokenSource>> = {}
  const localIssuer = values['local-issuer']
  if (localIssuer) {
    Object.assign(
      tokens,
      localIssuerSources(localIssuer, {
        cbe: values.cbe ?? '0406798006',
        otherCbe: values['other-cbe'],
        env: io.env,
      }),
    )
  }
  const fallback = values['token-command'] as string | undefined
  for (const role of ROLES) {
    const command = (values as Record<string, unknown>)[`${ROLE_NAMES[role]}-token-command`] as
      | string
      | undefined
    if (command) tokens[role] = { kind: 'command', command }
    else if (fallback && DEFAULTED_ROLES.includes(role) && !tokens[role])
      tokens[role] = { kind: 'command', command: fallback }
  }
  if (!tokens.consultation)
    throw new UsageError(
      'no consultation token: give --token-command, --consultation-token-command or --local-issuer',
    )

  let expectations: DataSetExpectations | undefined
  try {
    expectations = await resolveDataSet(values['data-set'] ?? (profile === 'certification' ? 'demo' : 'none'))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const only = values.only
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean)
  for (const selector of only ?? []) {
    if (!ALL_CHECKS.some((check) => matchesSelector(check.id, selector))) {
      throw new UsageError(`--only: no check is named ${selector} (ebox-conformance checks lists them)`)
    }
  }
  const color = !values['no-color'] && io.isTty === true && !io.env.NO_COLOR

  io.stdout(
    `ebox-conformance: ${baseUrl}, profile ${profile}${expectations ? `, data set ${expectations.name}` : ''}\n\n`,
  )
  const report = await runConformance({
    baseUrl,
    profile,
    tokens,
    expectations,
    only,
    env: io.env,
    limits: {
      ...(positiveInteger('max-messages', values['max-messages'])
        ? { maxMessages: Number(values['max-messages']) }
        : {}),
    },
    timeoutMs: positiveInteger('timeout-ms', values['timeout-ms']),
    portalOrigins: values['portal-origin'],
    onResult: (result) => io.stdout(`${formatResultLine(result, color)}\n`),
  })
  io.stdout(`${formatSummary(report)}\n`)
  writeReports(report, values['report-dir'], io)
  return report.summary.ok ? 0 : 1
}

function writeReports(report: Report, reportDir: string | undefined, io: CliIo): void {
  const markdown = toMarkdown(report)
  if (reportDir) {
    const dir = resolve(reportDir)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
    writeFileSync(join(dir, 'junit.xml'), toJUnit(report))
    writeFileSync(join(dir, 'summary.md'), markdown)
    io.stdout(`reports: ${join(dir, 'report.json')}, junit.xml, summary.md\n`)
  }
  if (io.env.GITHUB_STEP_SUMMARY) appendFileSync(io.env.GITHUB_STEP_SUMMARY, markdown)
}

async function token(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'token-url': { type: 'string' },
      'client-id': { type: 'string' },
      key: { type: 'string' },
      'key-env': { type: 'string' },
      scope: { type: 'string', multiple: true },
      audience: { type: 'string' },
      kid: { type: 'string' },
    },
  })
  const tokenUrl = values['token-url']
  const clientId = values['client-id']
  if (!tokenUrl || !clientId) throw new UsageError('token: --token-url and --client-id are required')
  let privateKeyPem: string | undefined
  if (values.key) privateKeyPem = readFileSync(values.key, 'utf8')
  else if (values['key-env']) privateKeyPem = io.env[values['key-env']]
  if (!privateKeyPem) throw new UsageError('token: give the client key with --key FILE or --key-env VAR')
  const scope = values.scope?.join(' ') ?? io.env.EBOX_CONFORMANCE_SCOPE
  const accessToken = await requestClientCredentialsToken({
    tokenUrl,
    clientId,
    privateKeyPem,
    scope,
    audience: values.audience,
    kid: values.kid,
  })
  io.stdout(`${accessToken}\n`)
  return 0
}

function listChecks(io: CliIo): number {
  for (const check of ALL_CHECKS) {
    io.stdout(
      `${check.id}  [${check.profiles.join(', ')}${check.mandatory ? '' : ', advisory'}]\n    ${check.title}\n    rule: ${check.rule}\n`,
    )
  }
  return 0
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  try {
    const [command, ...rest] = argv
    if (command === 'token') return await token(rest, io)
    if (command === 'checks') return listChecks(io)
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout(`${USAGE}\n`)
      return 0
    }
    return await run(argv, io)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`ebox-conformance: ${(error as Error).message}\n\n${USAGE}\n`)
      return 2
    }
    if (error instanceof ClientCredentialsError) {
      io.stderr(`ebox-conformance token: ${error.message}\n`)
      return 1
    }
    io.stderr(`ebox-conformance: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}
