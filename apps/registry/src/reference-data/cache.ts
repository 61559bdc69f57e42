/** One reference-data answer: the body exactly as the route's response serializer wrote it, and its ETag. */
export interface CachedAnswer {
  body: string
  etag: string
}

/** What a load produced: the answer to send, and whether it may be kept (an empty list page is not). */
export interface LoadedAnswer {
  answer: CachedAnswer
  keep: boolean
}

export interface ReferenceDataCacheOptions {
  /** Reference data is hundreds of entries; the cap only guards memory against the unexpected. */
  maxEntries: number
  /**
   * Safety net, not the invalidation: it bounds how long a change that never sends the notification (rows fixed by
   * hand in SQL, a restored backup, a notification lost on a connection that died unnoticed) can be served.
   */
  ttlMs: number
  now?: () => number
}

export const REFERENCE_DATA_CACHE_DEFAULTS: ReferenceDataCacheOptions = {
  maxEntries: 10_000,
  ttlMs: 5 * 60_000,
}

interface Entry {
  answer: CachedAnswer
  expiresAt: number
}

/**
 * Serialised reference-data answers in memory, by key (resource and id, or list page). Only as fresh as what tells
 * it about changes: `enable()` once LISTEN on the change channel is in place, `invalidate()` on each notification,
 * `disable()` when that connection is lost; while disabled every read goes to the database. A load that began
 * before an invalidation is not kept, since it may have read the rows as they were.
 */
export class ReferenceDataCache {
  /** Lookups since start, by outcome (metrics and tests). */
  readonly stats = { hits: 0, misses: 0, bypassed: 0 }
  readonly #options: ReferenceDataCacheOptions
  readonly #now: () => number
  readonly #entries = new Map<string, Entry>()
  /** Loads in flight, so that concurrent misses of one key query the database once. */
  readonly #loading = new Map<string, Promise<CachedAnswer>>()
  #generation = 0
  #enabled = false

  constructor(options: ReferenceDataCacheOptions = REFERENCE_DATA_CACHE_DEFAULTS) {
    this.#options = options
    this.#now = options.now ?? Date.now
  }

  get enabled(): boolean {
    return this.#enabled
  }

  get size(): number {
    return this.#entries.size
  }

  /** Changes are announced from now on: start with nothing (changes may have been missed before). */
  enable(): void {
    this.#clear()
    this.#enabled = true
  }

  /** Changes may go unannounced: keep nothing, answer every read from the database. */
  disable(): void {
    this.#enabled = false
    this.#clear()
  }

  /** Reference data changed. */
  invalidate(): void {
    this.#clear()
  }

  /** The kept answer for `key`, if the cache is enabled and it is still fresh. */
  get(key: string): CachedAnswer | undefined {
    if (!this.#enabled) return undefined
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key)
      return undefined
    }
    this.stats.hits++
    return entry.answer
  }

  /** Runs `load` (or joins the one in flight for `key`) and keeps its answer when allowed. Call after `get`. */
  load(key: string, load: () => Promise<LoadedAnswer>): Promise<CachedAnswer> {
    if (!this.#enabled) {
      this.stats.bypassed++
      return load().then(({ answer }) => answer)
    }
    this.stats.misses++
    const pending = this.#loading.get(key)
    if (pending) return pending
    const generation = this.#generation
    const loading = load()
      .then(({ answer, keep }) => {
        // disable() and invalidate() both move the generation on.
        if (keep && generation === this.#generation) this.#keep(key, answer)
        return answer
      })
      .finally(() => {
        if (this.#loading.get(key) === loading) this.#loading.delete(key)
      })
    this.#loading.set(key, loading)
    return loading
  }

  #keep(key: string, answer: CachedAnswer): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#options.maxEntries) {
      // The oldest entry goes first (Map keeps insertion order).
      const oldest = this.#entries.keys().next()
      if (!oldest.done) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, { answer, expiresAt: this.#now() + this.#options.ttlMs })
  }

  #clear(): void {
    this.#generation++
    this.#entries.clear()
    this.#loading.clear()
  }
}
