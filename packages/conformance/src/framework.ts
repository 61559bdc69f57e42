import { StatusMessage } from '@ebox/contract'
import type { Static, TSchema } from '@sinclair/typebox'
import {
  type Caller,
  type Exchange,
  evidenceOf,
  type Query,
  type RegistryClient,
  type RequestOptions,
} from './http.ts'
import type { TokenProvider } from './tokens.ts'
import { type Evidence, type Phase, type Profile, ROLE_NAMES, type Role } from './types.ts'
import { schemaProblems } from './validate.ts'

/** A check: an id, a one-line description, the rule of the brief it rests on, and what it does. */
export interface CheckDefinition {
  id: string
  title: string
  /** Section of the brief (`message-registry-v3.md` unless named) or contract decision it rests on. */
  rule: string
  /** A failed mandatory check makes the run fail (exit code 1); an advisory one is reported only. */
  mandatory: boolean
  profiles: readonly Profile[]
  phase: Phase
  run(ctx: CheckContext): Promise<void>
}

export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly evidence: Evidence[] = [],
  ) {
    super(message)
    this.name = 'CheckFailure'
  }
}

export class CheckSkipped extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CheckSkipped'
  }
}

/** A known text search of the data set: what `q` in `qlang` must (and must not) find among the listed messages. */
export interface KnownSearch {
  q: string
  qlang: 'nl' | 'fr' | 'de'
  /** Why this case exists (shown when it fails). */
  why: string
  /** Exactly these message ids match (of the default list). */
  exactly?: readonly string[]
  /** These message ids are among the matches. */
  includes?: readonly string[]
  /** These message ids are not among the matches. */
  excludes?: readonly string[]
}

/** What a known data set (the certification profile's) must look like; every field is optional. */
export interface DataSetExpectations {
  /** Name shown in reports, e.g. `@ebox/demo-data`. */
  name: string
  /** Messages in the default list (no filter) right after a reset. */
  listTotal?: number
  /** At least this many messages in the default list (federation: ≥ 11 in GENERAL, for paging). */
  minimumListTotal?: number
  /** A message with a main PDF attachment of this id (federation-duties §5: id `1`). */
  mainPdf?: { messageId?: string; attachmentId: string }
  /** totalItems of the list with these criteria (partition counts, hidden, registered, unread …). */
  filterTotals?: ReadonlyArray<{
    query: Readonly<Record<string, string | boolean>>
    totalItems: number
    why: string
  }>
  /** Known text searches (§5.1). */
  searches?: readonly KnownSearch[]
  /** Messages in the default list of the other e-Box (isolation). */
  otherEboxListTotal?: number
}

export interface Limits {
  /** Messages read by walking the list (pages of 100): a bigger e-Box is sampled, not read entirely. */
  maxMessages: number
  /** Messages whose detail, attachments and reference data are read. */
  maxDetails: number
  /** Attachment contents downloaded. */
  maxDownloads: number
}

export const DEFAULT_LIMITS: Limits = { maxMessages: 500, maxDetails: 20, maxDownloads: 10 }

/** Browser origins of the e-Box portal (PRD and ACC, brief §3.5). */
export const PORTAL_ORIGINS: readonly string[] = [
  'https://www.eboxenterprise.be',
  'https://wwwacc.eboxenterprise.be',
]

/** The run's state shared by every check (each piece computed once, on first use). */
export interface SharedState {
  cache: Map<string, Promise<unknown>>
  /** Facts a check leaves for a later one (e.g. what the certification reset produced). */
  notes: Map<string, unknown>
  /** Set when a write-phase check changed the data: shared reads are recomputed after it. */
  generation: number
}

export interface ContextOptions {
  client: RegistryClient
  tokens: TokenProvider
  profile: Profile
  expectations: DataSetExpectations | undefined
  limits: Limits
  shared: SharedState
  /** Origins of the portal whose browser calls the registry (CORS). */
  portalOrigins?: readonly string[]
  /** contentHref values must be https URLs (an https registry: ACC and PRD). */
  requireHttpsHrefs?: boolean
}

/** What a check sees: the client, the profile, helpers that fail with evidence, and shared data. */
export class CheckContext {
  readonly client: RegistryClient
  readonly profile: Profile
  readonly expectations: DataSetExpectations | undefined
  readonly limits: Limits
  readonly portalOrigins: readonly string[]
  readonly requireHttpsHrefs: boolean
  /** Evidence gathered so far in this check; attached to its result when it fails. */
  readonly evidence: Evidence[] = []
  private readonly tokens: TokenProvider
  private readonly shared: SharedState

  constructor(options: ContextOptions) {
    this.client = options.client
    this.tokens = options.tokens
    this.profile = options.profile
    this.expectations = options.expectations
    this.limits = options.limits
    this.shared = options.shared
    this.portalOrigins = options.portalOrigins ?? PORTAL_ORIGINS
    this.requireHttpsHrefs = options.requireHttpsHrefs ?? false
  }

  get(caller: Caller, path: string, query?: Query): Promise<Exchange> {
    return this.client.get(caller, path, query)
  }

  request(caller: Caller, method: string, path: string, options?: RequestOptions): Promise<Exchange> {
    return this.client.request(caller, method, path, options)
  }

  /** A value computed once per run (until data changes), shared between checks. */
  once<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const fullKey = `${this.shared.generation}:${key}`
    let value = this.shared.cache.get(fullKey) as Promise<T> | undefined
    if (!value) {
      value = compute()
      this.shared.cache.set(fullKey, value)
    }
    return value
  }

  remember(key: string, value: unknown): void {
    this.shared.notes.set(key, value)
  }

  recall<T>(key: string): T | undefined {
    return this.shared.notes.get(key) as T | undefined
  }

  /** Shared reads are recomputed from now on (a check changed the registry's data). */
  dataChanged(): void {
    this.shared.generation++
  }

  fail(message: string, exchange?: Exchange, options: { pointer?: string; note?: string } = {}): never {
    throw new CheckFailure(
      message,
      exchange ? [...this.evidence, evidenceOf(exchange, options)] : this.evidence,
    )
  }

  skip(reason: string): never {
    throw new CheckSkipped(reason)
  }

  /** Keeps an exchange as evidence even when the check does not fail on it. */
  note(exchange: Exchange, options: { pointer?: string; note?: string } = {}): void {
    this.evidence.push(evidenceOf(exchange, options))
  }

  assert(
    condition: unknown,
    message: string,
    exchange?: Exchange,
    options?: { pointer?: string; note?: string },
  ): asserts condition {
    if (!condition) this.fail(message, exchange, options)
  }

  /**
   * A role's token is needed. Without one the prod profile skips the check; the certification profile, which
   * runs every check, fails it.
   */
  requireRole(role: Role, option = `--${ROLE_NAMES[role]}-token-command`): void {
    if (this.tokens.has(role)) return
    const message = `needs a token of the ${ROLE_NAMES[role]} role (${option})`
    if (this.profile === 'certification') this.fail(`${message}: the certification profile runs every check`)
    this.skip(message)
  }

  hasRole(role: Role): boolean {
    return this.tokens.has(role)
  }

  expectStatus(exchange: Exchange, expected: number | readonly number[], what?: string): void {
    const accepted = typeof expected === 'number' ? [expected] : expected
    if (!accepted.includes(exchange.status)) {
      this.fail(
        `${what ? `${what}: ` : ''}${exchange.method} ${pathOf(exchange)} answered ${exchange.status}, expected ${accepted.join(' or ')}`,
        exchange,
      )
    }
  }

  /** The JSON body, checked against a schema of the contract; fails with the first offending parts. */
  expectJson<T extends TSchema>(exchange: Exchange, schema: T, what: string): Static<T> {
    if (exchange.json === undefined) {
      this.fail(`${what}: the body is not JSON (${exchange.jsonError})`, exchange)
    }
    const problems = schemaProblems(schema, exchange.json)
    if (problems.length > 0) {
      const first = problems[0]!
      this.fail(
        `${what} does not match the contract: ${problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`,
        exchange,
        { pointer: parentPointer(first.pointer) },
      )
    }
    return exchange.json as Static<T>
  }

  /** An error answer: the status and a StatusMessage body (§5.9). */
  expectStatusMessage(exchange: Exchange, expected: number | readonly number[], what: string): void {
    this.expectStatus(exchange, expected, what)
    if (!/json/i.test(exchange.headers.get('content-type') ?? '')) {
      this.fail(
        `${what}: the error body is not JSON (content-type ${exchange.headers.get('content-type') ?? 'absent'})`,
        exchange,
      )
    }
    this.expectJson(exchange, StatusMessage, `${what}: the error body (StatusMessage)`)
  }
}

/** The path and query of an exchange, for messages. */
export function pathOf(exchange: Exchange): string {
  const url = new URL(exchange.url)
  return url.pathname + url.search
}

function parentPointer(pointer: string): string {
  // Show the object holding the offending property (more context than the bare value).
  const parts = pointer.split('/')
  return parts.length > 2 ? parts.slice(0, -1).join('/') : pointer
}

export function defineCheck(
  definition: Omit<CheckDefinition, 'mandatory' | 'profiles' | 'phase'> &
    Partial<Pick<CheckDefinition, 'mandatory' | 'profiles' | 'phase'>>,
): CheckDefinition {
  return {
    mandatory: true,
    profiles: ['prod', 'certification'],
    phase: 'read',
    ...definition,
  }
}
