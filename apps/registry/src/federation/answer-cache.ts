/**
 * Answers of a federation service kept in memory, bounded in time and in size: each entry lives `ttlMs`, and past
 * `maxEntries` the oldest is dropped (a Map keeps insertion order). A TTL of 0 keeps nothing.
 */
export interface AnswerCache<V> {
  get(key: string): V | undefined
  set(key: string, value: V): void
}

export function createAnswerCache<V>(options: {
  ttlMs: number
  maxEntries: number
  now?: () => number
}): AnswerCache<V> {
  const now = options.now ?? Date.now
  const entries = new Map<string, { value: V; until: number }>()
  return {
    get(key) {
      const hit = entries.get(key)
      if (hit && now() < hit.until) return hit.value
      entries.delete(key)
      return undefined
    },
    set(key, value) {
      if (options.ttlMs <= 0) return
      entries.delete(key)
      while (entries.size >= options.maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(key, { value, until: now() + options.ttlMs })
    },
  }
}
