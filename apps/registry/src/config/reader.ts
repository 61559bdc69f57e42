import type { VariableName } from '@ebox/deployment'

export type Env = Record<string, string | undefined>

/** Every problem of a configuration: `main.ts` prints one `configuration: …` line each and exits with 1. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/**
 * Reads environment variables, collecting problems instead of throwing at the first, so an operator sees them
 * all at once. Only the names declared in @ebox/deployment can be read.
 */
export class Reader {
  readonly problems: string[] = []
  constructor(private readonly env: Env) {}

  /** The trimmed value; undefined when unset or blank. */
  optional(name: VariableName): string | undefined {
    return this.env[name]?.trim() || undefined
  }

  string(name: VariableName, fallback?: string): string {
    const value = this.optional(name)
    if (value) return value
    if (fallback !== undefined) return fallback
    this.problems.push(`${name} is required`)
    return ''
  }

  url(name: VariableName, fallback?: string, protocols = ['http:', 'https:']): string {
    const value = this.string(name, fallback)
    if (!value) return value
    try {
      const parsed = new URL(value)
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`)
      }
    } catch {
      this.problems.push(`${name} must be a URL, got "${value}"`)
    }
    return value
  }

  integer(name: VariableName, fallback: number, min: number, max: number): number {
    const raw = this.optional(name)
    if (!raw) return fallback
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`)
      return fallback
    }
    return value
  }

  oneOf<T extends string>(name: VariableName, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name)
    if (!raw) return fallback
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`)
      return fallback
    }
    return raw as T
  }

  boolean(name: VariableName, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase()
    if (!raw) return fallback
    if (raw === 'true' || raw === '1') return true
    if (raw === 'false' || raw === '0') return false
    this.problems.push(`${name} must be true or false, got "${raw}"`)
    return fallback
  }

  /** A URL that is required only when `needed`; undefined when absent and not needed. */
  optionalUrl(
    name: VariableName,
    fallback: string | undefined,
    needed: boolean,
    why: string,
  ): string | undefined {
    const value = this.optional(name) || fallback
    if (!value) {
      if (needed) this.problems.push(why ? `${name} is required ${why}` : `${name} is required`)
      return undefined
    }
    return this.url(name, value)
  }

  list(name: VariableName, fallback: string[]): string[] {
    const raw = this.optional(name)
    return raw
      ? raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : fallback
  }
}

/** Reads one process's configuration with `build`; throws ConfigError with every problem found. */
export function readConfiguration<T>(env: Env, build: (read: Reader) => T): T {
  const read = new Reader(env)
  const config = build(read)
  if (read.problems.length > 0) throw new ConfigError(read.problems)
  return config
}
