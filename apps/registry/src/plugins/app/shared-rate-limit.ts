import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { createPool, type Pool } from '../../db/pool.ts'
import { countHits, deleteWindowsBefore } from '../../repositories/rate-limits.ts'

/** One limit a request counts against: a key (hashed before it is stored) and its ceiling per window. */
export interface LimitKey {
  key: string
  max: number
}

/** The outcome for the tightest of a request's limits. */
export interface LimitDecision {
  allowed: boolean
  limit: number
  remaining: number
  /** Seconds until the current window ends (Retry-After when not allowed). */
  resetSeconds: number
}

/** Bound on the limiter's own database work: past it the request is counted locally (fail-open). */
const DATABASE_DEADLINE_MS = 250
/** After a database failure the limiter counts locally this long before it tries the database again. */
const DATABASE_BACKOFF_MS = 5_000
/** The limiter's own connections, apart from the request pool so that neither can starve the other. */
const LIMITER_POOL_MAX = 2

/**
 * Rate limits shared by every replica (issues 16 and 23): fixed windows counted in PostgreSQL
 * (`rate_limit_counters`, migration 0012), one upsert for all the keys of a request — or of all the requests that
 * arrived while the previous upsert was in flight (`sendWaiting`). When the database does not answer within
 * DATABASE_DEADLINE_MS, the limiter fails open to counters in this process (the same limits, per replica) and stays
 * local for DATABASE_BACKOFF_MS: a database outage must never turn requests into 500s here.
 */
export class SharedRateLimiter {
  private readonly pool: Pool
  private readonly windowMs: number
  private dbUnavailableUntil = 0
  private localWindow = -1
  private readonly localHits = new Map<string, number>()
  private lastSweptWindow = -1
  /** Hits that arrived while an upsert was in flight: they go out together in the next one. */
  private readonly waiting: WaitingHit[] = []
  private sending = false

  constructor(
    databaseUrl: string,
    windowSeconds: number,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
  ) {
    this.windowMs = windowSeconds * 1000
    this.pool = createPool({
      connectionString: databaseUrl,
      max: LIMITER_POOL_MAX,
      statementTimeoutMs: DATABASE_DEADLINE_MS,
      connectionTimeoutMs: DATABASE_DEADLINE_MS,
      applicationName: 'ebox-registry-rate-limit',
      onError: (error) => this.log.warn({ err: error }, 'rate limiter: idle database connection lost'),
    })
  }

  /** Counts one hit against every limit and says whether the request may go on. */
  async hit(limits: readonly LimitKey[]): Promise<LimitDecision> {
    const now = this.now()
    const windowStart = Math.floor(now / this.windowMs) * this.windowMs
    const resetSeconds = Math.max(1, Math.ceil((windowStart + this.windowMs - now) / 1000))
    const hashed = limits.map((limit) => ({ ...limit, key: digest(limit.key) }))
    const counts = (await this.countShared(hashed, windowStart, now)) ?? this.countLocal(hashed, windowStart)
    let decision: LimitDecision | undefined
    for (const limit of hashed) {
      const hits = counts.get(limit.key) ?? 1
      const remaining = Math.max(0, limit.max - hits)
      if (decision === undefined || remaining < decision.remaining || hits > limit.max) {
        decision = { allowed: hits <= limit.max, limit: limit.max, remaining, resetSeconds }
        if (!decision.allowed) break
      }
    }
    return decision ?? { allowed: true, limit: 0, remaining: 0, resetSeconds }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }

  private async countShared(
    limits: readonly LimitKey[],
    windowStart: number,
    now: number,
  ): Promise<Map<string, number> | undefined> {
    if (now < this.dbUnavailableUntil) return undefined
    try {
      const counts = await withDeadline(
        this.countTogether(
          limits.map((limit) => limit.key),
          windowStart,
        ),
      )
      this.sweep(windowStart)
      return counts
    } catch (error) {
      this.dbUnavailableUntil = now + DATABASE_BACKOFF_MS
      this.log.warn({ err: error }, 'rate limiter: database unavailable, counting in this process')
      return undefined
    }
  }

  private countTogether(keys: readonly string[], windowStart: number): Promise<Map<string, number>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ keys, windowStart, resolve, reject })
      if (!this.sending) void this.sendWaiting()
    })
  }

  /**
   * One upsert at a time, for every hit of the same window that waited for it (under load: one statement for many
   * requests instead of one each). Every hit is counted, and each sees the counts it would have seen had the
   * batch's hits come one after another: the k-th hit on a key to which the batch added n sees (count after) − n + k.
   */
  private async sendWaiting(): Promise<void> {
    this.sending = true
    while (this.waiting.length > 0) {
      const windowStart = this.waiting[0]!.windowStart
      let end = 1
      while (end < this.waiting.length && this.waiting[end]!.windowStart === windowStart) end += 1
      const batch = this.waiting.splice(0, end)
      const added = new Map<string, number>()
      for (const hit of batch) for (const key of hit.keys) added.set(key, (added.get(key) ?? 0) + 1)
      try {
        const after = await countHits(this.pool, added, windowStart)
        const handedOut = new Map<string, number>()
        for (const hit of batch) {
          const counts = new Map<string, number>()
          for (const key of hit.keys) {
            const k = (handedOut.get(key) ?? 0) + 1
            handedOut.set(key, k)
            const total = after.get(key)
            if (total !== undefined) counts.set(key, total - (added.get(key) ?? 0) + k)
          }
          hit.resolve(counts)
        }
      } catch (error) {
        for (const hit of batch) hit.reject(error)
      }
    }
    this.sending = false
  }

  /** Counters of this process for the current window: the fallback while the database does not answer. */
  private countLocal(limits: readonly LimitKey[], windowStart: number): Map<string, number> {
    if (windowStart !== this.localWindow) {
      this.localHits.clear()
      this.localWindow = windowStart
    }
    const counts = new Map<string, number>()
    for (const { key } of limits) {
      const hits = (this.localHits.get(key) ?? 0) + 1
      this.localHits.set(key, hits)
      counts.set(key, hits)
    }
    return counts
  }

  /** Once per window and replica: drop the windows before the previous one (never awaited by a request). */
  private sweep(windowStart: number): void {
    if (windowStart === this.lastSweptWindow) return
    this.lastSweptWindow = windowStart
    deleteWindowsBefore(this.pool, windowStart - this.windowMs).catch((error: unknown) =>
      this.log.warn({ err: error }, 'rate limiter: old windows not deleted'),
    )
  }
}

interface WaitingHit {
  keys: readonly string[]
  windowStart: number
  resolve(counts: Map<string, number>): void
  reject(error: unknown): void
}

/**
 * Digests of the keys seen, kept: a SHA-256 per limit and request was ≈ 0.7 % of the service's time on a list
 * page (BENCHMARKS.md, "Per-request cuts"). Bounded like the other per-process maps (cleared when full).
 */
const digests = new Map<string, string>()
const DIGESTS_KEPT = 10_000

function digest(key: string): string {
  let hashed = digests.get(key)
  if (hashed === undefined) {
    hashed = createHash('sha256').update(key).digest('base64url')
    if (digests.size >= DIGESTS_KEPT) digests.clear()
    digests.set(key, hashed)
  }
  return hashed
}

function withDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('rate limiter: database deadline passed')),
      DATABASE_DEADLINE_MS,
    )
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}
