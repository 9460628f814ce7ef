import type { TitansModel } from '../../src/model/index.js';
import type { SeededRandom } from '../../src/random/index.js';

/**
 * Copy at a distance: a document is a random string of `period` lower-case letters written twice.
 * Every letter of the second copy is predictable only from the letter `period` bytes back, so
 * the top-1 accuracy on the second copy measures recall at exactly that distance (chance 1/26).
 * With `period` inside the attention window it is what an induction head learns; beyond it, only
 * a memory can carry the string.
 */
export const COPY_LETTERS = 26;

/** {@link copyDocuments}' result. */
export interface CopyDocuments {
  /** `count × 2·period` tokens. */
  readonly tokens: Int32Array;
  /** Loss weights: 1 on the second copy, `firstWeight` on the first (random, not learnable). */
  readonly weights: Float32Array;
}

/** One random string of `period` letters, written twice. */
function copyDocument(period: number, rng: SeededRandom): Int32Array {
  const doc = new Int32Array(2 * period);
  for (let i = 0; i < period; i++) doc[i] = doc[i + period] = 97 + rng.nextInt(COPY_LETTERS);
  return doc;
}

/**
 * Training documents of the copy task, concatenated (train with `align` = `seqLen` = 2·period).
 *
 * @example
 * ```ts
 * const { tokens, weights } = copyDocuments(2000, 128, new SeededRandom('copy'));
 * ```
 * @param count - Documents.
 * @param period - Letters per string (the recall distance).
 * @param rng - Seeded randomness.
 * @param firstWeight - Loss weight of the first copy (default 0.01).
 * @returns The tokens and their weights.
 */
export function copyDocuments(count: number, period: number, rng: SeededRandom, firstWeight = 0.01): CopyDocuments {
  const length = 2 * period;
  const tokens = new Int32Array(count * length);
  const weights = new Float32Array(count * length);
  for (let d = 0; d < count; d++) {
    tokens.set(copyDocument(period, rng), d * length);
    weights.fill(firstWeight, d * length, d * length + period);
    weights.fill(1, d * length + period, (d + 1) * length);
  }
  return { tokens, weights };
}

/**
 * Top-1 accuracy on the second copy of `examples` fresh documents, each read from a fresh stream.
 * The first letter of the second copy is left out: before it nothing says that the copy starts.
 *
 * @example
 * ```ts
 * const accuracy = await copyAccuracy(model, 128, 8, new SeededRandom('copy-eval'));
 * ```
 * @param model - The model.
 * @param period - Letters per string.
 * @param examples - Documents.
 * @param rng - Seeded randomness.
 * @returns The share of letters predicted right.
 */
export async function copyAccuracy(model: TitansModel, period: number, examples: number, rng: SeededRandom): Promise<number> {
  let right = 0;
  let total = 0;
  for (let e = 0; e < examples; e++) {
    const doc = copyDocument(period, rng);
    const stream = model.stream();
    try {
      const { topK } = await stream.process(doc, { topK: 1 });
      // topK.ids[i] predicts doc[i + 1].
      for (let i = period; i < 2 * period - 1; i++) {
        total++;
        if (topK?.ids[i] === doc[i + 1]) right++;
      }
    } finally {
      stream.dispose();
    }
  }
  return right / total;
}
