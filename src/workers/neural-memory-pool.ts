import { ConfigError } from '../errors/config-error.js';
import { LayerError } from '../errors/layer-error.js';
import { TitansError } from '../errors/titans-error.js';
import { resolveTokenMemoryConfig, type TokenMemoryConfig } from '../memory/token-memory-config.js';
import { checkKeyedLayerOptions } from '../pipeline/keyed-layer.js';
import { absorbedChunk, KeyedMemories, snapshotEvent, snapshotOf, type KeyedEntry } from '../pipeline/keyed-memories.js';
import type { ChunkResult, MemoryEvent } from '../pipeline/memory-events.js';
import type { NeuralMemoryOptions } from '../pipeline/neural-memory.js';
import { periodicDue, QuietKeys } from '../pipeline/snapshot-schedule.js';
import type { TokenChunk } from '../pipeline/token-chunk.js';
import { trimCovered } from '../pipeline/trim-covered.js';
import type { TokenMemoryResult } from '../memory/token-memory.js';
import type { MemorySnapshot } from '../snapshot/memory-snapshot.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator } from '../stream/types.js';
import type { BackendChoice } from '../tensor/backend.js';
import { BYTE_VOCAB_SIZE } from '../tokenize/byte-tokenizer.js';
import { MemoryWorkers, type PoolStats } from './memory-workers.js';

/** Options of {@link neuralMemoryPool}: those of `neuralMemory` (but `create`), and the pool's. */
export interface NeuralMemoryPoolOptions extends Omit<NeuralMemoryOptions, 'create'> {
  /** Worker threads each iteration starts (unless `pool` is given); keys are sharded over them by a stable hash. Default `os.availableParallelism()`. */
  readonly workers?: number;
  /**
   * Running workers to use instead of starting some per iteration (shared by every iteration,
   * left running when they end; the caller closes them). The memory configuration is the pool's:
   * `memory`, if given too, must resolve to the same.
   */
  readonly pool?: MemoryWorkers;
  /**
   * Chunks per worker sent but not yet answered (default 8). The layer reads ahead of what it has
   * emitted by at most twice `maxInFlight` chunks per worker (backpressure across the thread
   * boundary: the source is read no further while that many wait to be emitted; with a shared
   * `pool`, each iteration has its own allowance). A worker answers in batches while requests wait
   * behind the one it computes, so a larger allowance means fewer messages (each one wakes a
   * thread) per chunk; the read-ahead lets a worker go on while the other one's results are due
   * first.
   */
  readonly maxInFlight?: number;
  /** Backend of each worker's TensorFlow.js instance (default: TITANS_BACKEND, else auto). */
  readonly backend?: BackendChoice;
}

/** The operator of {@link neuralMemoryPool}, with a look inside its workers. */
export interface NeuralMemoryPool extends AsyncOperator<TokenChunk, MemoryEvent> {
  /**
   * Asks every worker of the running iterations (or of the shared `pool`) for its statistics
   * (answered between two chunks).
   *
   * @param options - `weightNorms`: also the weight norm of every live memory (exports each state).
   * @returns The statistics; no workers when nothing is running.
   */
  stats(options?: { readonly weightNorms?: boolean }): Promise<PoolStats>;
}

/** A chunk read from the source (or evicted snapshots), in input order, until it is emitted. */
interface Item {
  readonly evicted: readonly MemorySnapshot[];
  readonly entry: KeyedEntry | undefined;
  /** The chunk's result once its worker answered; undefined for an item of evicted snapshots only. */
  readonly result: Promise<ChunkResult> | undefined;
  /** Take a periodic snapshot after emitting this chunk (the key's later chunks are not read until then). */
  readonly snapshotDue: boolean;
}

function checkPositiveInteger(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new ConfigError(field, `must be a positive integer, got ${value}`);
}

/**
 * The keyed Titans layer of `neuralMemory`, sharded over a pool of worker threads: one
 * TensorFlow.js instance per worker (the WASM backend computes on one thread per instance), so
 * keys run on every core. Same input, same events, in the same order, as `neuralMemory` with
 * the same options: chunks are sent to the worker of their key (a stable hash, so a key's chunks
 * stay in order on one worker) and results are emitted in input order.
 *
 * Scheduling and backpressure: chunks are read in input order (memories are acquired, and
 * evicted, in that order) and wait in a queue per worker; each worker has at most `maxInFlight`
 * chunks sent and not answered, and gets the next of its queue as soon as it answers one, whatever
 * the other workers do. The source is read no further while `2 × maxInFlight × workers` chunks
 * wait to be emitted. Snapshots come from the workers: periodic ones are taken exactly after
 * their chunk (the source is read no further until then; the workers go on with what was read),
 * `ChunkResult.snapshot()` works while no later chunk of the key has been read (else it rejects
 * with `ERR_SNAPSHOT_STALE`: prefer the `snapshots` option), final and evicted ones as in
 * `neuralMemory`. An upstream error is thrown after the results of the chunks already read. The
 * workers start with the iteration and are closed, with every memory disposed, when it ends,
 * fails or is stopped; with a shared `pool` ({@link MemoryWorkers}) the iteration disposes only
 * its own memories and leaves the threads running.
 *
 * @example
 * ```ts
 * const events = pipe(records, tokenize(new ByteTokenizer()), chunkTokens(64), neuralMemoryPool({ workers: 2 }));
 * ```
 * @param options - as `neuralMemory` (memory configuration, outputs, eviction, snapshots, store) plus `workers` or `pool`, `maxInFlight`, `backend`.
 * @returns an operator from token chunks to {@link MemoryEvent}s, with {@link NeuralMemoryPool.stats}.
 * @throws {ConfigError} at once for bad options. While running, a failure inside a memory is a
 *   {@link LayerError} naming the key and position; a worker that cannot start or dies fails the
 *   stream with `ERR_WORKER`.
 */
export function neuralMemoryPool(options: NeuralMemoryPoolOptions = {}): NeuralMemoryPool {
  const { predictions = 0, retrievals = false, store, snapshots: schedule, maxInFlight = 8, pool: shared } = options;
  if (shared !== undefined && options.workers !== undefined) throw new ConfigError('workers', 'give either workers or pool, not both');
  checkPositiveInteger('workers', options.workers);
  checkPositiveInteger('maxInFlight', maxInFlight);
  checkKeyedLayerOptions(options);
  const config = resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...(options.memory ?? shared?.config) } as TokenMemoryConfig);
  if (shared !== undefined && JSON.stringify(config) !== JSON.stringify(shared.config)) throw new ConfigError('memory', "differs from the memory configuration of the pool's workers");
  const finalSnapshots = options.finalSnapshots ?? (store !== undefined || schedule !== undefined);
  const outputs = { loss: true, surprise: true, predictions, retrievals };
  const running = new Set<MemoryWorkers>();

  const operator = (source: AsyncIterable<TokenChunk>): AsyncIterable<MemoryEvent> =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const workers =
        shared ??
        new MemoryWorkers({ memory: config, ...(options.workers === undefined ? {} : { workers: options.workers }), ...(options.backend === undefined ? {} : { backend: options.backend }) });
      running.add(workers);
      const memories = new KeyedMemories({
        create: (key) => workers.open(key),
        ...(options.maxLiveMemories === undefined ? {} : { maxLive: options.maxLiveMemories }),
        ...(store === undefined ? {} : { store }),
      });
      /** Chunks read and not yet emitted, in input order. */
      const queue: Item[] = [];
      const readAhead = 2 * maxInFlight * workers.size;
      /** Per worker: the sends of the chunks waiting for it, in input order, and how many are sent and not answered. */
      const waiting: (() => void)[][] = Array.from({ length: workers.size }, () => []);
      const out = new Array<number>(workers.size).fill(0);
      /** Chunks read per entry; a chunk's snapshot() is valid while its count is the latest. */
      const read = new WeakMap<KeyedEntry, number>();
      /** Keys whose next chunk waits for a periodic snapshot. */
      const waitingForSnapshot = new Set<string>();

      const snapshotContext = { wait: ctx.wait, beforeSnapshot: options.beforeSnapshot, store };
      const quietKeys = new QuietKeys(schedule);

      let stopped = false;
      /** Sends worker `w` the next chunks of its queue while it has room. */
      const dispatch = (w: number): void => {
        const sends = waiting[w] as (() => void)[];
        while (!stopped && sends.length > 0 && (out[w] as number) < maxInFlight) {
          out[w] = (out[w] as number) + 1;
          (sends.shift() as () => void)();
        }
      };

      /**
       * Whether reading a chunk of `key` must wait for emissions: the key waits for a periodic
       * snapshot (its next chunk counts towards the next one), or the chunk would evict the least
       * recently used memory while that memory still has chunks to emit (their bookkeeping and its
       * snapshot come first).
       */
      const mustWait = (key: string): boolean => {
        if (waitingForSnapshot.has(key)) return true;
        if (memories.size < (options.maxLiveMemories ?? Infinity)) return false;
        const live = memories.entries();
        const oldest = live[0];
        return oldest !== undefined && !live.some((e) => e.key === key) && queue.some((item) => item.entry === oldest);
      };

      /** Takes a chunk in: acquires its memory (in input order), queues it for emission and for its worker. */
      const admit = async (chunk: TokenChunk): Promise<void> => {
        const worker = workers.shardOf(chunk.key);
        const { entry, evicted } = await ctx.wait(memories.acquire(chunk.key));
        const fresh = trimCovered(chunk, entry.coverage);
        if (fresh === undefined) {
          if (evicted.length > 0) queue.push({ evicted, entry: undefined, result: undefined, snapshotDue: false });
          return;
        }
        const count = (read.get(entry) ?? 0) + 1;
        read.set(entry, count);
        entry.chunksSinceSnapshot += 1;
        const snapshotDue = periodicDue(entry, schedule);
        if (snapshotDue) waitingForSnapshot.add(chunk.key);
        let settle: { resolve: (r: ChunkResult) => void; reject: (e: unknown) => void } | undefined;
        const result = new Promise<ChunkResult>((resolve, reject) => (settle = { resolve, reject }));
        result.catch(() => undefined); // reported when the item is emitted
        // Runs as the worker's answers arrive, in order: an export requested later sees this bookkeeping done.
        const answered = (r: TokenMemoryResult): ChunkResult =>
          absorbedChunk(entry, fresh, r, r.firstIndex + r.count, () => {
            if (read.get(entry) !== count || !memories.entries().includes(entry)) {
              return Promise.reject(new TitansError('ERR_SNAPSHOT_STALE', `the memory of key "${chunk.key}" has moved past this chunk (or was evicted); with a worker pool use the snapshots option`));
            }
            return snapshotOf(entry);
          });
        const failed = (error: unknown): never => {
          if (error instanceof TitansError && error.code === 'ERR_WORKER') throw error;
          throw new LayerError('neuralMemoryPool', chunk.key, fresh.spans[0]?.record.position, error);
        };
        const send = (): void => {
          entry.memory
            .process(fresh.tokens, { outputs })
            .then(answered, failed)
            .then(settle?.resolve, settle?.reject)
            .finally(() => {
              out[worker] = (out[worker] as number) - 1;
              dispatch(worker);
            });
        };
        queue.push({ evicted, entry, result, snapshotDue });
        waiting[worker]?.push(send);
        dispatch(worker);
      };

      try {
        await ctx.wait(workers.ready());
        let held: TokenChunk | undefined;
        let ended = false;
        let upstream: { readonly error: unknown } | undefined;
        for (;;) {
          // Read what can be read without waiting: never wait on the source while results are due.
          while (!ended && queue.length < readAhead) {
            if (held === undefined) {
              if (queue.length > 0 && !reader.ready) {
                void reader.pull();
                break;
              }
              // Nothing to emit: a key that went quiet is snapshotted on time while the layer waits for input.
              const quiet = queue.length > 0 || reader.ready ? undefined : quietKeys.msUntilLook();
              if (quiet !== undefined && !(await reader.pullWithin(quiet))) {
                for (const entry of quietKeys.look(memories.live())) yield await snapshotEvent(entry, 'periodic', snapshotContext);
                continue;
              }
              let next: IteratorResult<TokenChunk, undefined>;
              try {
                next = await reader.next();
              } catch (error) {
                if (ctx.signal.aborted) throw error;
                // Emit the results of the chunks already read, then fail.
                upstream = { error };
                ended = true;
                break;
              }
              if (next.done === true) {
                ended = true;
                break;
              }
              held = next.value;
            }
            if (mustWait(held.key)) break;
            const chunk = held;
            held = undefined;
            await admit(chunk);
          }
          const head = queue[0];
          if (head === undefined) {
            if (upstream !== undefined) throw upstream.error;
            if (ended) break;
            continue;
          }
          if (held === undefined && !ended && queue.length < readAhead && head.result !== undefined) {
            // Emit the head as soon as it is ready, or read more as soon as the source has a chunk.
            let settled = false;
            const done = head.result.then(
              () => (settled = true),
              () => (settled = true),
            );
            await ctx.wait(Promise.race([done, reader.pull()]));
            if (!settled) continue;
          }
          queue.shift();
          for (const snapshot of head.evicted) yield { type: 'snapshot', reason: 'evicted', snapshot };
          if (head.result === undefined || head.entry === undefined) continue;
          const entry = head.entry;
          yield await ctx.wait(head.result);
          if (head.snapshotDue) {
            // An entry evicted meanwhile has had its snapshot taken at eviction.
            if (memories.entries().includes(entry)) yield await snapshotEvent(entry, 'periodic', snapshotContext);
            // The export went to the worker ahead of the key's later chunks: they may be read now.
            waitingForSnapshot.delete(entry.key);
          }
        }
        if (finalSnapshots) for (const entry of memories.entries()) yield await snapshotEvent(entry, 'final', snapshotContext);
      } finally {
        stopped = true;
        memories.disposeAll();
        running.delete(workers);
        if (shared === undefined) await workers.close();
        await reader.close();
      }
    }, options);

  return Object.assign(operator, {
    async stats(statsOptions: { readonly weightNorms?: boolean } = {}): Promise<PoolStats> {
      const pools = shared === undefined ? [...running] : [shared];
      const all = await Promise.all(pools.map((p) => p.stats(statsOptions)));
      return { workers: all.flatMap((s) => s.workers) };
    },
  });
}
