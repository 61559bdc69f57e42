/**
 * The audit trail is SHARD_COUNT hash chains (migration 0011). Shard k's records have seq k * SHARD_SPAN + n,
 * n = 1, 2, …; the records written before sharding are shard 0's history. 16 × 10^14 stays below 2^53, so a seq
 * is still an exact JavaScript number.
 */
export const SHARD_COUNT = 16
export const SHARD_SPAN = 100_000_000_000_000

/** The text an anchor's hash covers: "shard:seq:hash" per shard, in shard order, joined by ",". */
export function anchorHeadsText(heads: readonly { shard: number; seq: string; hash: string }[]): string {
  return [...heads]
    .sort((a, b) => a.shard - b.shard)
    .map((head) => `${head.shard}:${head.seq}:${head.hash}`)
    .join(',')
}
