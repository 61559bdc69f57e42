/**
 * In-process admission for publications: a cap per client on publications in flight (so one publisher cannot
 * take every slot), and a semaphore bounding the commits that hold a database connection at once (so writes
 * never take the whole pool from reads). Both are per process; the pool they protect is per process too.
 */
export class ConcurrencyLimit {
  private readonly inFlight = new Map<string, number>()

  constructor(private readonly max: number) {}

  /** Admits one more for `key`, or answers false when it already has `max` in flight. */
  enter(key: string): boolean {
    const count = this.inFlight.get(key) ?? 0
    if (count >= this.max) return false
    this.inFlight.set(key, count + 1)
    return true
  }

  leave(key: string): void {
    const count = (this.inFlight.get(key) ?? 1) - 1
    if (count <= 0) this.inFlight.delete(key)
    else this.inFlight.set(key, count)
  }
}

export class Semaphore {
  private active = 0
  private readonly waiting: (() => void)[] = []

  constructor(private readonly max: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }
}
