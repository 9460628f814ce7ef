import type { SeededRandom } from '../../src/random/index.js';
import { NEEDLE_QUERY, needleSentence, randomPasskey, textBytes } from './needle.js';

/**
 * Training data for the needle test: documents of exactly `length` bytes, each
 *
 *   [lead hay][needle sentence with a random key][d hay bytes][query][key]\n[hay to the end]
 *
 * with the needle and query of {@link needleSentence} and {@link NEEDLE_QUERY}, and d drawn
 * uniformly from 0 to as far as the document allows. The hay of each document is one of `hays`
 * (drawn at random), read from a random offset. Trained with `align` = `length`, each sequence is
 * one whole document, and the only way to predict the key after the query is to have kept it from
 * the needle, `d` + about 60 bytes back.
 */
export interface PasskeyDocumentsOptions {
  /** Documents. */
  readonly count: number;
  /** Bytes per document. */
  readonly length: number;
  /** Hay sources (each longer than `length`). */
  readonly hays: readonly Int32Array[];
  /** Most hay bytes before the needle (default 32). */
  readonly maxLead?: number;
  /** Key digits (default 5). */
  readonly digits?: number;
  /** Loss weight of every byte but the answer's key digits, which weigh 1 (default 0.1). */
  readonly otherWeight?: number;
  /** Seeded randomness. */
  readonly rng: SeededRandom;
}

/** {@link passkeyDocuments}' result. */
export interface PasskeyDocuments {
  /** `count × length` tokens. */
  readonly tokens: Int32Array;
  /** The loss weight of each token as a target: 1 on the answer's digits, `otherWeight` elsewhere. */
  readonly weights: Float32Array;
}

/**
 * The largest needle-to-query distance (hay bytes) of {@link passkeyDocuments} of `length` bytes.
 *
 * @example
 * ```ts
 * passkeyMaxDistance(256); // 120
 * ```
 * @param length - Bytes per document.
 * @param digits - Key digits (default 5).
 * @param maxLead - Most hay bytes before the needle (default 32).
 * @returns The distance (negative when the document cannot hold a needle, query and key).
 */
export function passkeyMaxDistance(length: number, digits = 5, maxLead = 32): number {
  return length - maxLead - (needleSentence('0'.repeat(digits)).length + NEEDLE_QUERY.length + digits + 1);
}

/**
 * `count` passkey documents of `length` bytes, concatenated, with loss weights that stress the
 * answers.
 *
 * @example
 * ```ts
 * const { tokens, weights } = passkeyDocuments({ count: 2000, length: 256, hays: [noiseHay(4096), brownTrain], rng });
 * ```
 * @param options - See {@link PasskeyDocumentsOptions}.
 * @returns The tokens and their weights.
 * @throws Error when a document cannot hold the needle, query and key, or a hay is too short.
 */
export function passkeyDocuments(options: PasskeyDocumentsOptions): PasskeyDocuments {
  const { count, length, hays, rng } = options;
  const maxLead = options.maxLead ?? 32;
  const digits = options.digits ?? 5;
  const query = textBytes(NEEDLE_QUERY);
  const room = passkeyMaxDistance(length, digits, maxLead);
  if (room < 0) throw new Error(`passkeyDocuments: ${length} bytes cannot hold the needle, query and key (${length - room})`);
  for (const hay of hays) if (hay.length <= length) throw new Error(`passkeyDocuments: a hay of ${hay.length} bytes is not longer than a document (${length})`);
  const out = new Int32Array(count * length);
  const weights = new Float32Array(count * length).fill(options.otherWeight ?? 0.1);
  for (let d = 0; d < count; d++) {
    const hay = hays[rng.nextInt(hays.length)] as Int32Array;
    const from = rng.nextInt(hay.length - length + 1);
    const doc = out.subarray(d * length, (d + 1) * length);
    doc.set(hay.subarray(from, from + length));
    const key = randomPasskey(digits, rng);
    const lead = rng.nextInt(maxLead + 1);
    const distance = rng.nextInt(room + 1);
    const needle = textBytes(needleSentence(key));
    doc.set(needle, lead);
    let at = lead + needle.length + distance;
    doc.set(query, at);
    at += query.length;
    doc.set(textBytes(`${key}\n`), at);
    weights.fill(1, d * length + at, d * length + at + digits);
  }
  return { tokens: out, weights };
}
