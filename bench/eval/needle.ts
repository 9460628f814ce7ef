import type { TitansModel, TitansStreamState } from '../../src/model/index.js';
import type { SeededRandom } from '../../src/random/index.js';

/**
 * Needle in a haystack (passkey retrieval). Protocol:
 *
 * - A stream starts with `lead` hay tokens, then the needle sentence
 *   `The pass key is 12345. Remember it. 12345 is the pass key.\n`, then hay.
 * - At each probe distance d (hay tokens read after the needle) the stream is forked (state
 *   exported and re-imported) and fed the query `\nWhat is the pass key? The pass key is `.
 * - Greedy: the key is found when the model's top-1 prediction is right at every digit with the
 *   true digits fed in (teacher forcing) — exactly the case in which greedy decoding writes the key.
 * - Choice: the true key and `wrong` other 5-digit keys are scored by their summed nll after the
 *   query; right when the true key has the lowest (chance 1 / (wrong + 1)). Margin: the
 *   distractors' mean summed nll minus the true key's, in bits (≈ 0 when the key is not recalled).
 * - Hay: a repeated filler sentence, or real prose (Brown held-out text from a random offset).
 */
export const NEEDLE_QUERY = '\nWhat is the pass key? The pass key is ';

/** The needle sentence for `key`. */
export function needleSentence(key: string): string {
  return `The pass key is ${key}. Remember it. ${key} is the pass key.\n`;
}

/** The repeated filler of the noise haystack. */
export const NOISE_SENTENCE = 'The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ';

const encoder = new TextEncoder();

/** The UTF-8 bytes of `s` as token ids. */
export function textBytes(s: string): Int32Array {
  return Int32Array.from(encoder.encode(s));
}

/**
 * A random passkey of `digits` decimal digits (first digit non-zero).
 *
 * @example
 * ```ts
 * randomPasskey(5, rng); // e.g. '40918'
 * ```
 * @param digits - Length.
 * @param rng - Seeded randomness.
 * @returns The key.
 */
export function randomPasskey(digits: number, rng: SeededRandom): string {
  let key = String(1 + rng.nextInt(9));
  for (let i = 1; i < digits; i++) key += String(rng.nextInt(10));
  return key;
}

/** Tokens of one needle trial. */
export interface NeedleTrial {
  /** Lead hay + needle sentence. */
  readonly prefix: Int32Array;
  /** Hay after the needle, at least as long as the largest probe distance. */
  readonly hay: Int32Array;
  /** The query, read at each probe. */
  readonly query: Int32Array;
  /** The true key's bytes. */
  readonly answer: Int32Array;
  /** Wrong keys' bytes (distinct from the answer and from each other). */
  readonly distractors: readonly Int32Array[];
}

/**
 * Builds one needle trial.
 *
 * @example
 * ```ts
 * const trial = needleTrial({ hay: noiseHay(20_000), lead: 64, maxDistance: 16_384, wrong: 9, rng });
 * ```
 * @param options - `hay` source tokens (read from a random offset when longer than needed), `lead`
 *   hay tokens before the needle, `maxDistance` hay tokens after it, `wrong` distractor keys, `rng`.
 * @returns The trial.
 * @throws Error when the hay is too short.
 */
export function needleTrial(options: { hay: Int32Array; lead: number; maxDistance: number; wrong: number; rng: SeededRandom; digits?: number }): NeedleTrial {
  const { hay, lead, maxDistance, wrong, rng } = options;
  const digits = options.digits ?? 5;
  const need = lead + maxDistance;
  if (hay.length < need) throw new Error(`needleTrial: hay has ${hay.length} tokens, needs ${need}`);
  const start = rng.nextInt(hay.length - need + 1);
  const key = randomPasskey(digits, rng);
  const seen = new Set([key]);
  const distractors: Int32Array[] = [];
  while (distractors.length < wrong) {
    const k = randomPasskey(digits, rng);
    if (seen.has(k)) continue;
    seen.add(k);
    distractors.push(textBytes(k));
  }
  const needle = textBytes(needleSentence(key));
  const prefix = new Int32Array(lead + needle.length);
  prefix.set(hay.subarray(start, start + lead));
  prefix.set(needle, lead);
  return { prefix, hay: hay.slice(start + lead, start + need), query: textBytes(NEEDLE_QUERY), answer: textBytes(key), distractors };
}

/**
 * `length` tokens of the repeated filler sentence.
 *
 * @example
 * ```ts
 * noiseHay(1000).length; // 1000
 * ```
 * @param length - Tokens.
 * @returns The hay.
 */
export function noiseHay(length: number): Int32Array {
  const sentence = textBytes(NOISE_SENTENCE);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) out[i] = sentence[i % sentence.length] as number;
  return out;
}

/** Outcome of one probe. */
export interface NeedleProbe {
  readonly distance: number;
  /** Greedy decoding writes the key (every digit top-1 under teacher forcing). */
  readonly greedy: boolean;
  /** Digits predicted top-1 (teacher forcing). */
  readonly digitsRight: number;
  /** The true key has the lowest summed nll among it and the distractors. */
  readonly choice: boolean;
  /** Mean summed nll of the distractors minus that of the true key, bits (> 0: the model prefers the true key). */
  readonly margin: number;
}

const sum = (a: Float32Array): number => a.reduce((x, y) => x + y, 0);

/**
 * Runs one trial through `model`: reads the prefix and hay as one stream and probes at each
 * distance (ascending) on a fork of the stream, which then continues unchanged.
 *
 * @example
 * ```ts
 * const probes = await runNeedleTrial(model, trial, [1024, 4096]);
 * ```
 * @param model - The model.
 * @param trial - From {@link needleTrial}.
 * @param distances - Probe distances in hay tokens, ascending, ≤ trial.hay.length.
 * @returns One probe per distance.
 */
export async function runNeedleTrial(model: TitansModel, trial: NeedleTrial, distances: readonly number[]): Promise<NeedleProbe[]> {
  const main = model.stream();
  const fork = model.stream();
  const out: NeedleProbe[] = [];
  try {
    await main.process(trial.prefix);
    let read = 0;
    for (const distance of distances) {
      if (distance > read) await main.process(trial.hay.subarray(read, distance));
      read = Math.max(read, distance);
      fork.importState(await main.exportState());
      // Teacher-forced top-1: the prediction after the query's last byte is the first digit.
      const queried = await fork.process(trial.query, { topK: 1 });
      const afterQuery: TitansStreamState = await fork.exportState();
      const q = await fork.process(trial.answer, { topK: 1 });
      let digitsRight = queried.topK?.ids[queried.count - 1] === trial.answer[0] ? 1 : 0;
      const ids = q.topK?.ids ?? new Int32Array(0);
      for (let i = 1; i < trial.answer.length; i++) if (ids[i - 1] === trial.answer[i]) digitsRight++;
      const trueNll = sum(q.nll);
      let choice = true;
      let wrongSum = 0;
      for (const wrongKey of trial.distractors) {
        fork.importState(afterQuery);
        const wrongNll = sum((await fork.process(wrongKey)).nll);
        wrongSum += wrongNll;
        if (wrongNll <= trueNll) choice = false;
      }
      const margin = (wrongSum / trial.distractors.length - trueNll) / Math.LN2;
      out.push({ distance, greedy: digitsRight === trial.answer.length, digitsRight, choice, margin });
    }
  } finally {
    main.dispose();
    fork.dispose();
  }
  return out;
}
