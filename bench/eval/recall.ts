import type { SeededRandom } from '../../src/random/index.js';

/**
 * Multi-query associative recall (Zoology's MQAR) over bytes. One example: `pairs` key→value
 * pairs written as `k v` (keys: distinct lower-case letters and digits `a`–`z`, `0`–`9`…; values:
 * upper-case letters `A`–`Z`), then a `|` separator, then every key once more in a new random
 * order, each followed by its value. The model reads the whole example; a query is answered right
 * when its top-1 prediction after the query key is the key's value.
 */
export interface RecallExample {
  /** The example's bytes (pairs, separator, queries). */
  readonly tokens: Int32Array;
  /** Positions (into `tokens`) of the query keys; the answer is the next token. */
  readonly queries: Int32Array;
}

/** Key alphabet: 36 distinct bytes. */
export const RECALL_KEYS = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** Value alphabet: 26 bytes. */
export const RECALL_VALUES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Byte between the pairs and the queries. */
export const RECALL_SEPARATOR = '|'.charCodeAt(0);

/**
 * One multi-query associative-recall example.
 *
 * @example
 * ```ts
 * const ex = recallExample(8, new SeededRandom(1)); // 8 pairs: 16 + 1 + 16 = 33 tokens
 * ```
 * @param pairs - Key→value pairs, 1 … 36.
 * @param rng - Seeded randomness.
 * @returns The example.
 * @throws Error when `pairs` is outside 1 … 36.
 */
export function recallExample(pairs: number, rng: SeededRandom): RecallExample {
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > RECALL_KEYS.length) throw new Error(`recallExample: pairs must be 1 … ${RECALL_KEYS.length}, got ${pairs}`);
  const keys = shuffle([...RECALL_KEYS], rng).slice(0, pairs);
  const values = keys.map(() => RECALL_VALUES[rng.nextInt(RECALL_VALUES.length)] as string);
  const tokens = new Int32Array(4 * pairs + 1);
  const queries = new Int32Array(pairs);
  keys.forEach((k, i) => {
    tokens[2 * i] = k.charCodeAt(0);
    tokens[2 * i + 1] = (values[i] as string).charCodeAt(0);
  });
  tokens[2 * pairs] = RECALL_SEPARATOR;
  shuffle(
    keys.map((_, i) => i),
    rng,
  ).forEach((i, q) => {
    const at = 2 * pairs + 1 + 2 * q;
    tokens[at] = (keys[i] as string).charCodeAt(0);
    tokens[at + 1] = (values[i] as string).charCodeAt(0);
    queries[q] = at;
  });
  return { tokens, queries };
}

/** {@link recallStream}'s result. */
export interface RecallStream {
  /** The examples, each followed by a newline. */
  readonly tokens: Int32Array;
  /** Loss weight of each token as a target: 1 on the answers (the value after a query key), `otherWeight` elsewhere. */
  readonly weights: Float32Array;
}

/**
 * A training stream of recall examples, each followed by a newline, with the pair count of each
 * drawn uniformly from `minPairs … maxPairs`, and loss weights that stress the answers (the rest
 * is random and cannot be learned).
 *
 * @example
 * ```ts
 * const { tokens, weights } = recallStream(100_000, 2, 16, new SeededRandom(0));
 * ```
 * @param length - Tokens wanted (the stream is cut there).
 * @param minPairs - Fewest pairs per example.
 * @param maxPairs - Most pairs per example.
 * @param rng - Seeded randomness.
 * @param otherWeight - Weight of every token that is not an answer (default 0.1).
 * @returns `length` tokens and their weights.
 */
export function recallStream(length: number, minPairs: number, maxPairs: number, rng: SeededRandom, otherWeight = 0.1): RecallStream {
  const out = new Int32Array(length);
  const weights = new Float32Array(length).fill(otherWeight);
  let at = 0;
  while (at < length) {
    const { tokens, queries } = recallExample(minPairs + rng.nextInt(maxPairs - minPairs + 1), rng);
    const n = Math.min(tokens.length, length - at);
    out.set(tokens.subarray(0, n), at);
    for (const q of queries) if (q + 1 < n) weights[at + q + 1] = 1;
    at += n;
    if (at < length) out[at++] = 10;
  }
  return { tokens: out, weights };
}

function shuffle<T>(items: T[], rng: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
