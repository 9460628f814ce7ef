import { ConfigError } from '../errors/config-error.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import type { TokenChunk, TokenSpan } from './token-chunk.js';
import type { TokenRun } from './token-run.js';

/** Options of {@link chunkTokens}. */
export interface ChunkTokensOptions extends OperatorOptions {
  /**
   * Emit a key's partial chunk once its first token has waited this long (milliseconds), so a
   * quiet key does not hold tokens back. Default: wait for a full chunk or the end of the source.
   */
  maxWaitMs?: number;
}

/** The chunk being filled for one key. */
class PendingChunk {
  readonly tokens: Int32Array;
  readonly spans: TokenSpan[] = [];
  fill = 0;
  openedAt = 0;

  constructor(
    readonly key: string,
    readonly sequence: number,
    size: number,
  ) {
    this.tokens = new Int32Array(size);
  }

  /** Copies as much of `run` from `offset` as fits; returns how many tokens were taken. */
  take(run: TokenRun, offset: number): number {
    if (this.fill === 0) this.openedAt = performance.now();
    const n = Math.min(this.tokens.length - this.fill, run.tokens.length - offset);
    this.tokens.set(run.tokens.subarray(offset, offset + n), this.fill);
    this.spans.push({
      record: run.record,
      start: this.fill,
      end: this.fill + n,
      recordOffset: offset,
      recordLength: run.tokens.length,
      endsRecord: offset + n === run.tokens.length,
    });
    this.fill += n;
    return n;
  }

  get full(): boolean {
    return this.fill === this.tokens.length;
  }

  seal(): TokenChunk {
    const tokens = this.full ? this.tokens : this.tokens.slice(0, this.fill);
    return { key: this.key, sequence: this.sequence, tokens, spans: this.spans };
  }
}

/**
 * Packs token runs into chunks of `size` tokens per key. A chunk may span several records of
 * its key and a record may span several chunks; every token keeps its record (see
 * {@link TokenSpan}). Keys never mix: each key has its own pending chunk. Partial chunks are
 * emitted when the source ends (oldest first), after `maxWaitMs`, and before an upstream error is
 * passed on (so that everything read before bad input is still processed).
 *
 * @example
 * ```ts
 * const chunks = pipe(records, tokenize(new ByteTokenizer()), chunkTokens(64));
 * ```
 * @param size - tokens per chunk (a positive integer; usually the memory's chunk size).
 * @param options - `maxWaitMs` for partial chunks of quiet keys; `signal`.
 * @returns an operator from token runs to token chunks, in order per key.
 * @throws {ConfigError} at once for a bad `size` or `maxWaitMs`.
 */
export function chunkTokens(size: number, options: ChunkTokensOptions = {}): AsyncOperator<TokenRun, TokenChunk> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new ConfigError('chunkTokens.size', `must be a positive integer, got ${size}`);
  const { maxWaitMs } = options;
  if (maxWaitMs !== undefined && !(Number.isFinite(maxWaitMs) && maxWaitMs > 0)) {
    throw new ConfigError('chunkTokens.maxWaitMs', `must be a positive number of milliseconds, got ${maxWaitMs}`);
  }
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const pending = new Map<string, PendingChunk>();
      const sequences = new Map<string, number>();
      const open = (key: string): PendingChunk => {
        let chunk = pending.get(key);
        if (chunk === undefined) {
          const sequence = sequences.get(key) ?? 0;
          sequences.set(key, sequence + 1);
          chunk = new PendingChunk(key, sequence, size);
          pending.set(key, chunk);
        }
        return chunk;
      };
      const expired = (): PendingChunk[] => {
        if (maxWaitMs === undefined) return [];
        const now = performance.now();
        return [...pending.values()].filter((c) => c.fill > 0 && now - c.openedAt >= maxWaitMs);
      };
      try {
        for (;;) {
          if (maxWaitMs !== undefined && pending.size > 0) {
            const oldest = Math.min(...[...pending.values()].map((c) => c.openedAt));
            if (!(await reader.pullWithin(oldest + maxWaitMs - performance.now()))) {
              for (const chunk of expired()) {
                pending.delete(chunk.key);
                yield chunk.seal();
              }
              continue;
            }
          }
          let next: IteratorResult<TokenRun, undefined>;
          try {
            next = await reader.next();
          } catch (error) {
            // Bad input stops the stream, but what was read before it still reaches the memory.
            if (!ctx.signal.aborted) for (const chunk of pending.values()) yield chunk.seal();
            throw error;
          }
          if (next.done === true) break;
          const run = next.value;
          let offset = 0;
          while (offset < run.tokens.length) {
            const chunk = open(run.key);
            offset += chunk.take(run, offset);
            if (chunk.full) {
              pending.delete(run.key);
              yield chunk.seal();
            }
          }
        }
        for (const chunk of pending.values()) yield chunk.seal();
      } finally {
        await reader.close();
      }
    }, options);
}
