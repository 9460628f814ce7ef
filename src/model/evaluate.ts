import type { TitansModel } from './titans-model.js';

/** {@link evaluateStream}'s result. */
export interface Evaluation {
  /** Tokens scored. */
  readonly tokens: number;
  /** Mean negative log-likelihood per token, nats. */
  readonly nats: number;
  /** The same in bits (bits per byte for the byte tokenizer). */
  readonly bits: number;
}

/**
 * Scores `tokens` as one stream read from its start (a fresh {@link TitansStream}, so the memory
 * carries context over the whole text, as in deployment), in calls of `callSize` tokens.
 *
 * @example
 * ```ts
 * const { bits } = await evaluateStream(model, heldOut); // bits per byte
 * ```
 * @param model - The model.
 * @param tokens - The tokens.
 * @param options - Tokens per call (default 2048) and an abort signal.
 * @returns Mean surprise in nats and bits.
 */
export async function evaluateStream(model: TitansModel, tokens: Int32Array, options: { callSize?: number; signal?: AbortSignal } = {}): Promise<Evaluation> {
  const callSize = options.callSize ?? 2048;
  const stream = model.stream();
  let sum = 0;
  try {
    for (let i = 0; i < tokens.length; i += callSize) {
      options.signal?.throwIfAborted();
      const { nll } = await stream.process(tokens.subarray(i, i + callSize));
      for (const x of nll) sum += x;
    }
  } finally {
    stream.dispose();
  }
  const nats = tokens.length > 0 ? sum / tokens.length : 0;
  return { tokens: tokens.length, nats, bits: nats / Math.LN2 };
}
