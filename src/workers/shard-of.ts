/**
 * The shard of a state key: a stable hash (32-bit FNV-1a over the key's UTF-16 code units) modulo
 * `shards`. The same key maps to the same shard in every process and run.
 *
 * @example
 * ```ts
 * shardOf('orders-3', 4); // always the same worker index for 'orders-3'
 * ```
 * @param key - The state key.
 * @param shards - Number of shards (a positive integer).
 * @returns An integer in [0, shards).
 */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
