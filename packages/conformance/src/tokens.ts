import { exec } from 'node:child_process'
import {
  DEFAULT_FEDERATION_PROFILE,
  type FederationProfile,
  readFederationProfile,
  SCOPES,
} from '@ebox/contract'
import { ROLE_NAMES, type Role } from './types.ts'

/** Where a role's bearer token comes from: a shell command, a fixed value, or a function (library use). */
export type TokenSource =
  | { kind: 'command'; command: string }
  | { kind: 'static'; token: string }
  | { kind: 'function'; get: () => Promise<string> }

/**
 * Scopes a role's token is meant to carry; given to token commands as `EBOX_CONFORMANCE_SCOPE`. The certifier's
 * scope is the federation profile's (FEDERATION_CERTIFICATION_SCOPE, as the registry reads it).
 */
export function roleScopes(profile: FederationProfile): Record<Role, readonly string[]> {
  return {
    consultation: [SCOPES.documentConsumer],
    referenceData: [SCOPES.referenceData],
    publication: [SCOPES.publicationSender],
    certification: [profile.scopes.certification],
    otherEbox: [SCOPES.documentConsumer],
    // Valid token, no scope of the consultation operations (reference data does not open /ebox/messages).
    insufficientScope: [SCOPES.referenceData],
  }
}

/** The role scopes of the default federation profile. */
export const ROLE_SCOPES = roleScopes(DEFAULT_FEDERATION_PROFILE)

/** The federation profile the registry under test is configured with: the same FEDERATION_* variables. */
export function federationProfileOf(env: NodeJS.ProcessEnv): FederationProfile {
  const { profile, problems } = readFederationProfile((name) => env[name])
  if (problems.length > 0) throw new Error(`invalid federation profile: ${problems.join('; ')}`)
  return profile
}

export class TokenError extends Error {
  constructor(
    readonly role: Role,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'TokenError'
  }
}

const COMMAND_TIMEOUT_MS = 60_000

/**
 * Runs a token command through the shell; its trimmed stdout is the token. The command sees
 * `EBOX_CONFORMANCE_ROLE` (e.g. `consultation`) and `EBOX_CONFORMANCE_SCOPE` (space-separated scopes), so one
 * script can serve every role.
 */
export function runTokenCommand(
  role: Role,
  command: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    exec(
      command,
      {
        timeout: COMMAND_TIMEOUT_MS,
        maxBuffer: 1024 * 1024,
        env: {
          ...env,
          EBOX_CONFORMANCE_ROLE: ROLE_NAMES[role],
          EBOX_CONFORMANCE_SCOPE: roleScopes(federationProfileOf(env))[role].join(' '),
        },
      },
      (error, stdout, stderr) => {
        if (error) {
          const detail = String(stderr).trim().split('\n').slice(-3).join(' | ')
          reject(
            new TokenError(
              role,
              `the ${ROLE_NAMES[role]} token command failed (${error.code ?? error.signal ?? 'error'})${detail ? `: ${detail}` : ''}`,
              { cause: error },
            ),
          )
          return
        }
        const token = String(stdout).trim()
        if (!token) reject(new TokenError(role, `the ${ROLE_NAMES[role]} token command printed nothing`))
        else if (/\s/.test(token))
          reject(new TokenError(role, `the ${ROLE_NAMES[role]} token command printed more than one word`))
        else resolve(token)
      },
    )
  })
}

/** One token per role per run: each source is asked once, on first use, and the answer is kept. */
export class TokenProvider {
  private readonly cache = new Map<Role, Promise<string>>()

  constructor(
    private readonly sources: Partial<Record<Role, TokenSource>>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  has(role: Role): boolean {
    return this.sources[role] !== undefined
  }

  get(role: Role): Promise<string> {
    let token = this.cache.get(role)
    if (!token) {
      const source = this.sources[role]
      if (!source) return Promise.reject(new TokenError(role, `no token for the ${ROLE_NAMES[role]} role`))
      token = this.fetch(role, source)
      this.cache.set(role, token)
    }
    return token
  }

  private async fetch(role: Role, source: TokenSource): Promise<string> {
    switch (source.kind) {
      case 'command':
        return runTokenCommand(role, source.command, this.env)
      case 'static':
        return source.token
      case 'function':
        try {
          return await source.get()
        } catch (error) {
          throw new TokenError(role, `no ${ROLE_NAMES[role]} token: ${(error as Error).message}`, {
            cause: error,
          })
        }
    }
  }
}

/**
 * Tokens from a running local issuer (`@ebox/token-issuer`, its `POST /dev/mint` endpoint): development and
 * tests only. The consultation roles speak for `cbe`, the other e-Box for `otherCbe`.
 */
export function localIssuerSources(
  issuerUrl: string,
  options: { cbe: string; otherCbe?: string; env?: NodeJS.ProcessEnv },
): Partial<Record<Role, TokenSource>> {
  const scopes = roleScopes(federationProfileOf(options.env ?? process.env))
  const mint = (role: Role, cbe?: string): TokenSource => ({
    kind: 'function',
    get: async () => {
      const response = await fetch(new URL('/dev/mint', issuerUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          scopes: scopes[role],
          ...(cbe ? { cbe } : {}),
          clientId: 'ebox-conformance',
        }),
      })
      if (!response.ok) throw new Error(`${issuerUrl}/dev/mint answered ${response.status}`)
      const body = (await response.json()) as { access_token?: unknown }
      if (typeof body.access_token !== 'string') throw new Error(`${issuerUrl}/dev/mint gave no access_token`)
      return body.access_token
    },
  })
  return {
    consultation: mint('consultation', options.cbe),
    referenceData: mint('referenceData', options.cbe),
    publication: mint('publication', options.cbe),
    certification: mint('certification'),
    insufficientScope: mint('insufficientScope', options.cbe),
    ...(options.otherCbe ? { otherEbox: mint('otherEbox', options.otherCbe) } : {}),
  }
}
