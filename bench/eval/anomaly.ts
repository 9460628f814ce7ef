import type { TitansModel } from '../../src/model/index.js';
import { TokenMemory } from '../../src/memory/index.js';
import { AdaptiveByteNgram } from './byte-ngram.js';
import type { LabelledMessage } from './spam.js';

/** Per-message anomaly scores of one scorer, in stream order. */
export interface MessageScores {
  readonly scorer: string;
  readonly scores: Float64Array;
  readonly seconds: number;
}

const NEWLINE = Int32Array.of(10);
const mean = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] as number;
  return a.length > 0 ? s / a.length : 0;
};

/**
 * Mean per-byte surprise (nll, bits) of each message under a trained model that reads the whole
 * mail stream as one stream (memory and attention window carry from one message to the next; a
 * newline, not scored, separates messages).
 *
 * @param model - The model.
 * @param messages - The stream.
 * @param onMessage - Progress callback.
 * @returns The scores.
 */
export async function modelSurprise(model: TitansModel, messages: readonly LabelledMessage[], onMessage?: (i: number) => void): Promise<Float64Array> {
  const stream = model.stream();
  const scores = new Float64Array(messages.length);
  try {
    for (const [i, m] of messages.entries()) {
      const { nll } = await stream.process(Int32Array.from(m.bytes));
      scores[i] = mean(nll) / Math.LN2;
      await stream.process(NEWLINE);
      onMessage?.(i);
    }
  } finally {
    stream.dispose();
  }
  return scores;
}

/**
 * Mean per-byte associative loss and mean surprise (gradient norm) of each message under an
 * untrained {@link TokenMemory} (library defaults, byte vocabulary) reading the mail stream.
 *
 * @param messages - The stream.
 * @param seed - Seed of the memory's random embeddings and projections.
 * @returns `loss` and `gradient` scores.
 */
export async function tokenMemorySurprise(messages: readonly LabelledMessage[], seed: number): Promise<{ loss: Float64Array; gradient: Float64Array }> {
  const memory = TokenMemory.create({ vocabSize: 260, seed });
  const loss = new Float64Array(messages.length);
  const gradient = new Float64Array(messages.length);
  try {
    for (const [i, m] of messages.entries()) {
      const r = await memory.process(Int32Array.from(m.bytes));
      loss[i] = mean(r.loss ?? []);
      gradient[i] = mean(r.surprise ?? []);
      await memory.process(NEWLINE);
    }
  } finally {
    memory.dispose();
  }
  return { loss, gradient };
}

/**
 * Mean per-byte surprise (bits) of each message under an adaptive byte n-gram model that learns
 * from the stream as it reads it (same order of reading as the neural scorers).
 *
 * @param messages - The stream.
 * @param order - 0 = unigram, 1 = bigram.
 * @returns The scores.
 */
export function ngramSurprise(messages: readonly LabelledMessage[], order: 0 | 1): Float64Array {
  const model = new AdaptiveByteNgram(order);
  const newline = Uint8Array.of(10);
  return Float64Array.from(messages, (m) => {
    const s = mean(model.surprise(m.bytes));
    model.surprise(newline);
    return s;
  });
}
