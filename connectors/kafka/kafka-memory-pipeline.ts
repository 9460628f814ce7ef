import { ConfigError } from '../../src/errors/index.js';
import { resolveTokenMemoryConfig, type TokenMemoryConfig } from '../../src/memory/index.js';
import {
  chunkTokens,
  neuralMemory,
  surpriseAlerts,
  tokenize,
  type KeyedLayerSpec,
  type MemoryEvent,
  type KeyedLayerOptions,
  type SnapshotSchedule,
  type SurpriseAlert,
  type SurpriseAlertsOptions,
  type TokenChunk,
} from '../../src/pipeline/index.js';
import { streamKeyOf } from '../../src/records/index.js';
import type { MemorySnapshot, SnapshotCoverage, SnapshotExpectation, SnapshotStore } from '../../src/snapshot/index.js';
import { pipe, tap, type AsyncOperator } from '../../src/stream/index.js';
import { BYTE_RECORD_SEPARATOR, BYTE_VOCAB_SIZE, ByteTokenizer } from '../../src/tokenize/index.js';
import { neuralMemoryPool, type MemoryWorkers } from '../../src/workers/index.js';
import type { KafkaAdmin, KafkaClient, KafkaProducer, KafkaSender, KafkaTopicPartition } from './client.js';
import { KafkaConnectorError } from './errors.js';
import { KafkaOutputSink } from './kafka-output-sink.js';
import { kafkaPartitions, type KafkaPartitionSource, type KafkaPartitionStream } from './kafka-partitions.js';
import { KafkaSnapshotStore } from './kafka-snapshot-store.js';
import type { KafkaPartitionProgress, KafkaSourceOptions } from './kafka-source-options.js';
import { kafkaMemoryOutputs, type MemoryOutputs } from './memory-outputs.js';
import { isFenced, PartitionTransaction } from './partition-transaction.js';
import { retryRetriable } from './retry-retriable.js';

/** Where the pipeline writes its outputs on Kafka. */
export interface KafkaPipelineOutput {
  /** Topic of the score messages (one per record) and, unless `alertTopic` is set, of the alerts. */
  readonly topic: string;
  /** Topic of the alert messages. */
  readonly alertTopic?: string;
  /** Write a score message for every record (default true). */
  readonly scores?: boolean;
  /** Messages per produce request (default 500). */
  readonly batchSize?: number;
  /** Longest an output waits for its batch to fill before it is sent anyway (default 100 ms; see `KafkaOutputSink`). */
  readonly lingerMs?: number;
}

/** Options of {@link runKafkaPipeline}. */
export interface KafkaMemoryPipelineOptions {
  /** The cluster. */
  readonly client: KafkaClient;
  /** Consumer group; also names the partitions' snapshots (`${groupId}/${topic}/${partition}`). */
  readonly groupId: string;
  /** Topics to read. */
  readonly topics: readonly string[];
  /** Configuration of each partition's memory (byte-level `TokenMemory`; vocab 260). Default: the `pool`'s, if given. */
  readonly memory?: Partial<TokenMemoryConfig>;
  /**
   * Worker threads the partitions' memories live on (one pool per process, shared by every
   * partition it owns; the caller closes it after `done`). Default: every memory in this thread.
   * Snapshots, restores and outputs are the same either way.
   */
  readonly pool?: MemoryWorkers;
  /**
   * Wraps each partition's memory layer, e.g. with a `layerMeter` so that every partition
   * reports to one metrics registry.
   */
  readonly wrapLayer?: (layer: AsyncOperator<TokenChunk, MemoryEvent>) => AsyncOperator<TokenChunk, MemoryEvent>;
  /**
   * The keyed layer each partition runs instead of that memory, e.g. a trained model's `titans`
   * layer (`{ chunkSize, config: titansStreamConfig(model), layer: (o) => titans(model, o) }`).
   */
  readonly layer?: KeyedLayerSpec;
  /** Compacted topic of the snapshots (default `titans-snapshots`), unless `store` is given. */
  readonly snapshotTopic?: string;
  /** Where snapshots go instead of a {@link KafkaSnapshotStore} on `snapshotTopic`; its keys are `${topic}-${partition}`. */
  readonly store?: SnapshotStore;
  /** When each partition's memory is snapshotted (and its offset committed). Default every 200 chunks or 10 s. */
  readonly snapshots?: SnapshotSchedule;
  /** A partition's partial chunk is absorbed after waiting this long (default 1000 ms), so quiet partitions get scored. */
  readonly flushAfterMs?: number;
  /** Outputs on Kafka (JSON scores and alerts). */
  readonly output?: KafkaPipelineOutput;
  /** Outputs elsewhere (e.g. an Arrow file), instead of `output`; at-least-once only. */
  readonly outputs?: MemoryOutputs;
  /** Alerts on surprising records (see `surpriseAlerts`); none when absent. */
  readonly alerts?: Omit<SurpriseAlertsOptions, 'signal'>;
  /**
   * Exactly-once: each partition's outputs, snapshot and consumer offset commit in one Kafka
   * transaction per snapshot (a transactional producer per partition, id
   * `${transactionalIdPrefix}.${topic}.${partition}`, which fences the partition's previous
   * owner); a restart or the next owner resumes from the latest committed snapshot, so a
   * `read_committed` reader of the outputs sees each exactly once. Needs `output` and the Kafka
   * snapshot store (no `store`). Dead letters are sent outside the transactions (at least once).
   * Default false: at-least-once (idempotent producer; snapshots saved, then offsets committed).
   */
  readonly exactlyOnce?: boolean;
  /** Prefix of the transactional ids (default `titans.${groupId}`). */
  readonly transactionalIdPrefix?: string;
  /** Source settings: buffer capacity, bad-record policy, dead-letter topic, idle exit, consumer timeouts. */
  readonly source?: Omit<KafkaSourceOptions, 'client' | 'groupId' | 'topics' | 'startAt' | 'signal' | 'deadLetterProducer' | 'onWarning'>;
  /** How long Kafka writes, commits and reads retry through a broker outage (default 300000 ms). */
  readonly retryTimeoutMs?: number;
  /** Told about problems that do not stop the pipeline. Default: a line on stderr. */
  readonly onWarning?: (message: string, error?: unknown) => void;
  /** Called with each memory event of each partition (for progress displays). */
  readonly onEvent?: (event: MemoryEvent) => void;
  /** Aborting stops at once, without final snapshots (as a crash would; what was committed stays). */
  readonly signal?: AbortSignal;
}

/** Counters of a pipeline run. */
export interface KafkaPipelineStats {
  /** Records scored. */
  readonly records: number;
  /** Tokens absorbed. */
  readonly tokens: number;
  /** Alerts raised. */
  readonly alerts: number;
  /** Snapshots saved. */
  readonly snapshots: number;
  /** Offsets committed (one per partition and snapshot). */
  readonly commits: number;
  /** Bad records sent to the dead-letter topic. */
  readonly deadLettered: number;
  /** Partitions owned now. */
  readonly partitions: number;
  /** Partitions taken away by rebalances so far. */
  readonly revocations: number;
  /** Seconds since the start. */
  readonly seconds: number;
}

/** A running pipeline. */
export interface KafkaMemoryPipeline {
  /** Settles when the pipeline ends: after {@link stop}, an idle exit or an abort (rejects), or a failure (rejects). */
  readonly done: Promise<KafkaPipelineStats>;
  /** Ends gracefully: no new records; what is buffered is absorbed, every memory snapshotted, offsets committed; then it leaves the group. */
  stop(): Promise<KafkaPipelineStats>;
  /** Counters so far. */
  stats(): KafkaPipelineStats;
  /** Where each owned partition stands (lag, committed offset). */
  progress(): KafkaPartitionProgress[];
}

/** The untrained memory as a {@link KeyedLayerSpec}: in this thread, or on the pool's workers. */
function memoryLayer(memory: TokenMemoryConfig, pool: MemoryWorkers | undefined): KeyedLayerSpec {
  const resolved = resolveTokenMemoryConfig(memory);
  if (pool !== undefined && JSON.stringify(resolved) !== JSON.stringify(pool.config)) throw new ConfigError('memory', "differs from the memory configuration of the pool's workers");
  return {
    chunkSize: resolved.chunkSize,
    config: resolved,
    layer: (options) => (pool === undefined ? neuralMemory({ memory, ...options }) : neuralMemoryPool({ ...options, pool })),
  };
}

/** The next offset to read after what `covers` says was absorbed (a record absorbed in part is read again). */
export function resumeOffset(covers: SnapshotCoverage | undefined): string | undefined {
  const at = covers?.position;
  if (at?.kind !== 'kafka') return undefined;
  return covers?.recordComplete === true ? (BigInt(at.offset) + 1n).toString() : at.offset;
}

function laneIdOf(tp: KafkaTopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

function warnOnStderr(message: string, error?: unknown): void {
  const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`titans-stream kafka: ${message}${detail}\n`);
}

/** What only the exactly-once mode has per partition. */
interface PartitionExactlyOnce {
  readonly producer: KafkaProducer;
  readonly transaction: PartitionTransaction;
}

/**
 * The Titans memory over a Kafka consumer group: one memory per assigned partition, restored on
 * assignment from its latest snapshot (the partition is read on from what that snapshot covers),
 * fed `records → tokenize → chunkTokens → neuralMemory`, scoring every record (and raising
 * alerts) into the outputs; snapshotted periodically to the snapshot store (a compacted topic);
 * after each snapshot — its outputs flushed first — the partition's offset is committed. So
 * nothing is committed before its effects are safe, and a restart (or the next owner) absorbs
 * every record exactly once: redelivered records the snapshot covers are skipped.
 *
 * With `pool`, the partitions' memories live on its worker threads (one process, all cores);
 * without, in this thread. Either way each partition is one memory, restored and snapshotted the
 * same way, and gives the same outputs.
 *
 * On a rebalance, a partition that moves away is dropped at once: its work in progress is
 * abandoned unsaved (the abort reaches every stage), no further snapshot or commit of it is
 * written, and the new owner starts from the last snapshot. A snapshot write already under way
 * when the partition moves can still land; that is harmless, because the memory is deterministic:
 * every complete snapshot of a partition is the exact state after the records it covers, and its
 * owner always reads on from what the snapshot it restored covers.
 *
 * @example
 * ```ts
 * const run = runKafkaPipeline({
 *   client, groupId: 'titans', topics: ['logs'],
 *   memory: { dim: 64, chunkSize: 64 },
 *   output: { topic: 'log-scores', alertTopic: 'log-alerts' },
 *   alerts: { quantile: 0.995, warmup: 200 },
 * });
 * process.once('SIGTERM', () => void run.stop());
 * console.log(await run.done);
 * ```
 * @param options - cluster, group, topics, memory (or worker pool), snapshots, outputs, alerts, exactly-once, source settings, layer wrapper.
 * @returns the running pipeline.
 * @throws {ConfigError} at once for bad options.
 */
export function runKafkaPipeline(options: KafkaMemoryPipelineOptions): KafkaMemoryPipeline {
  const { client, groupId, exactlyOnce = false, retryTimeoutMs = 300_000 } = options;
  if (options.output !== undefined && options.outputs !== undefined) throw new ConfigError('outputs', 'give either output (Kafka) or outputs, not both');
  if (exactlyOnce && options.output === undefined) throw new ConfigError('exactlyOnce', 'the exactly-once mode writes its outputs to Kafka: give output');
  if (exactlyOnce && options.store !== undefined) throw new ConfigError('store', 'the exactly-once mode commits its snapshots in Kafka transactions, on snapshotTopic: give no store');
  if (options.layer !== undefined && options.pool !== undefined) throw new ConfigError('pool', 'the worker pool runs the untrained memory: give either layer or pool');
  const memoryConfig: TokenMemoryConfig = { vocabSize: BYTE_VOCAB_SIZE, ...(options.memory ?? options.pool?.config) };
  const layer: KeyedLayerSpec = options.layer ?? memoryLayer(memoryConfig, options.pool);
  const expect: SnapshotExpectation = { config: layer.config };
  const schedule: SnapshotSchedule = options.snapshots ?? { everyChunks: 200, everyMs: 10_000 };
  const flushAfterMs = options.flushAfterMs ?? 1000;
  const warn = options.onWarning ?? warnOnStderr;
  const retry = { timeoutMs: retryTimeoutMs };
  const hard = new AbortController();
  const started = performance.now();
  const counts = { records: 0, tokens: 0, alerts: 0, snapshots: 0, transactionalCommits: 0 };

  // One idempotent producer for outputs, dead letters and snapshots, connected on first use.
  let producer: KafkaProducer | undefined;
  let connecting: Promise<KafkaProducer> | undefined;
  const connected = (): Promise<KafkaProducer> => {
    connecting ??= (async () => {
      const p = client.producer();
      producer = p;
      await retryRetriable(() => p.connect(), retry);
      return p;
    })();
    return connecting;
  };
  const sender: KafkaSender = { send: async (batch) => (await connected()).send(batch) };
  let admin: Promise<KafkaAdmin> | undefined;
  const connectedAdmin = (): Promise<KafkaAdmin> => {
    admin ??= (async () => {
      const a = client.admin();
      await retryRetriable(() => a.connect(), retry);
      return a;
    })();
    return admin;
  };

  const storeKeys = new Map<string, string>();
  const ownStore =
    options.store === undefined
      ? new KafkaSnapshotStore({
          client,
          topic: options.snapshotTopic ?? 'titans-snapshots',
          storeKey: (key) => storeKeys.get(key) ?? `${groupId}/${key}`,
          producer: sender,
          retryTimeoutMs,
          onCorrupt: (key, problem) => warn(`skipping a snapshot of ${key}: ${problem}`),
        })
      : undefined;
  const store: SnapshotStore = options.store ?? (ownStore as KafkaSnapshotStore);
  const sink =
    options.output === undefined || exactlyOnce
      ? undefined
      : new KafkaOutputSink({
          producer: sender,
          topic: options.output.topic,
          retryTimeoutMs,
          signal: hard.signal,
          // A send of lingering outputs failed for good: the run cannot write its outputs.
          onError: (error) => fail(error),
          ...(options.output.batchSize === undefined ? {} : { batchSize: options.output.batchSize }),
          ...(options.output.lingerMs === undefined ? {} : { lingerMs: options.output.lingerMs }),
        });
  const sharedOutputs: MemoryOutputs | undefined =
    options.outputs ??
    (sink === undefined
      ? undefined
      : kafkaMemoryOutputs(sink, { ...(options.output?.scores === undefined ? {} : { scores: options.output.scores }), ...(options.output?.alertTopic === undefined ? {} : { alertTopic: options.output.alertTopic }) }));

  /** Per partition: the snapshot restored on assignment (handed to its memory once), and the exactly-once state. */
  const restored = new Map<string, MemorySnapshot | undefined>();
  const exact = new Map<string, PartitionExactlyOnce>();

  /**
   * Exactly-once: fences the partition's previous owner (which settles its open transaction), then
   * restores the latest committed snapshot: it was written in the same transaction as the outputs
   * and the offset it covers.
   */
  const startExactlyOnce = async (tp: KafkaTopicPartition, key: string): Promise<{ snapshot: MemorySnapshot | undefined; start: string | undefined }> => {
    const id = laneIdOf(tp);
    exact.get(id)?.producer.disconnect().catch(() => undefined);
    const txProducer = client.producer({ transactionalId: `${options.transactionalIdPrefix ?? `titans.${groupId}`}.${tp.topic}.${tp.partition}` });
    await retryRetriable(() => txProducer.connect(), retry);
    const output = options.output as KafkaPipelineOutput;
    exact.set(id, {
      producer: txProducer,
      transaction: new PartitionTransaction({
        producer: txProducer,
        groupId,
        partition: tp,
        scoreTopic: output.scores === false ? undefined : output.topic,
        alertTopic: output.alertTopic ?? output.topic,
        retryTimeoutMs,
      }),
    });
    const snapshot = await store.load(key, expect);
    if (snapshot !== undefined) return { snapshot, start: resumeOffset(snapshot.covers) };
    // No committed snapshot: nothing of this group's work on the partition is committed, unless
    // the snapshot topic was lost; then an empty memory starts at the committed offset.
    const a = await connectedAdmin();
    const committed = (await retryRetriable(() => a.fetchOffsets(groupId, [tp.topic]), retry)).find((o) => o.partition === tp.partition)?.offset ?? null;
    if (committed === null) return { snapshot: undefined, start: undefined };
    warn(`no snapshot of ${key} on ${ownStore?.topic ?? 'the snapshot topic'}, but its offset ${committed} is committed: an empty memory starts there`);
    return { snapshot: undefined, start: committed };
  };

  const startAt = async (tp: KafkaTopicPartition): Promise<string | undefined> => {
    const key = streamKeyOf({ kind: 'kafka', ...tp, offset: '0' });
    storeKeys.set(key, `${groupId}/${tp.topic}/${tp.partition}`);
    if (exactlyOnce) {
      const { snapshot, start } = await startExactlyOnce(tp, key);
      restored.set(laneIdOf(tp), snapshot);
      return start;
    }
    const snapshot = await store.load(key, expect);
    restored.set(laneIdOf(tp), snapshot);
    return resumeOffset(snapshot?.covers);
  };

  /** The snapshot store as one partition's memory sees it. */
  const partitionStore = (stream: KafkaPartitionStream): SnapshotStore => {
    const id = laneIdOf(stream);
    return {
      load: async (key, expectation) => {
        if (restored.has(id)) {
          const snapshot = restored.get(id);
          restored.delete(id);
          return snapshot;
        }
        return store.load(key, expectation);
      },
      save: async (snapshot) => {
        // The partition moved away: its new owner's snapshots must not be overwritten.
        stream.signal.throwIfAborted();
        const tx = exact.get(id);
        const offset = resumeOffset(snapshot.covers);
        // Exactly-once runs only on the pipeline's own Kafka store (checked above).
        if (tx !== undefined && offset !== undefined && ownStore !== undefined) {
          await tx.transaction.commit(offset, (transaction) => ownStore.save(snapshot, transaction));
          counts.transactionalCommits += 1;
        } else {
          await store.save(snapshot);
        }
      },
    };
  };

  /** A partition's layer, wrapped (e.g. metered) if asked. */
  const layerOf = (layerOptions: KeyedLayerOptions): AsyncOperator<TokenChunk, MemoryEvent> => {
    const made = layer.layer(layerOptions);
    return options.wrapLayer === undefined ? made : options.wrapLayer(made);
  };

  const runPartition = async (stream: KafkaPartitionStream): Promise<void> => {
    const signal = AbortSignal.any([stream.signal, hard.signal]);
    const outputs = exact.get(laneIdOf(stream))?.transaction ?? sharedOutputs;
    const events = pipe(
      stream,
      tokenize(new ByteTokenizer(), { separator: layer.recordSeparator ?? BYTE_RECORD_SEPARATOR, signal }),
      chunkTokens(layer.chunkSize, { signal, ...(flushAfterMs > 0 ? { maxWaitMs: flushAfterMs } : {}) }),
      layerOf({
        store: partitionStore(stream),
        snapshots: schedule,
        finalSnapshots: true,
        beforeSnapshot: async () => {
          await outputs?.flush();
          return undefined;
        },
        signal,
      }),
    );
    const handled = pipe(
      events,
      tap(async (event: MemoryEvent) => {
        options.onEvent?.(event);
        if (event.type === 'chunk') {
          counts.tokens += event.loss.length;
          counts.records += event.records.length;
          for (const score of event.records) await outputs?.score(score);
          return;
        }
        counts.snapshots += 1;
        const offset = resumeOffset(event.snapshot.covers);
        // Exactly-once: the offset went with the snapshot's transaction.
        if (offset !== undefined && !exact.has(laneIdOf(stream))) await stream.commit(offset);
      }, { signal }),
    );
    const tail: AsyncIterable<MemoryEvent | SurpriseAlert> = options.alerts === undefined ? handled : surpriseAlerts({ ...options.alerts, signal })(handled);
    try {
      for await (const item of tail) {
        if (item.type !== 'alert') continue;
        counts.alerts += 1;
        await outputs?.alert(item);
      }
    } catch (error) {
      if (hard.signal.aborted || stream.signal.aborted) return;
      if (isFenced(error)) {
        warn(`partition ${laneIdOf(stream)} was taken over by another member (producer fenced)`);
        return;
      }
      throw error;
    } finally {
      const tx = exact.get(laneIdOf(stream));
      if (tx !== undefined && stream.signal.aborted) {
        exact.delete(laneIdOf(stream));
        await tx.producer.disconnect().catch(() => undefined);
      }
    }
  };

  // Built before anything runs, so that bad source options throw at once.
  const source: KafkaPartitionSource = kafkaPartitions({
    ...options.source,
    client,
    groupId,
    topics: options.topics,
    startAt,
    deadLetterProducer: sender,
    retryTimeoutMs,
    onWarning: warn,
    signal: hard.signal,
  });
  const stats = (): KafkaPipelineStats => {
    const s = source.stats;
    return {
      records: counts.records,
      tokens: counts.tokens,
      alerts: counts.alerts,
      snapshots: counts.snapshots,
      commits: s.commits + counts.transactionalCommits,
      deadLettered: s.deadLettered,
      partitions: source.progress().length,
      revocations: s.revocations,
      seconds: (performance.now() - started) / 1000,
    };
  };
  /** The first failure; it ends the run (the source closes, the partitions stop, `done` rejects with it). */
  let failure: { readonly error: unknown } | undefined;
  function fail(error: unknown): void {
    failure ??= { error };
    void source.close();
  }
  const abort = (): void => hard.abort(options.signal?.reason);
  if (options.signal?.aborted === true) abort();
  else options.signal?.addEventListener('abort', abort, { once: true });

  const done = (async (): Promise<KafkaPipelineStats> => {
    const running = new Set<Promise<void>>();
    try {
      for await (const stream of source) {
        const run = runPartition(stream).catch(fail);
        running.add(run);
        void run.finally(() => running.delete(run));
      }
      await Promise.all(running);
      if (failure === undefined && !hard.signal.aborted) await sharedOutputs?.flush();
    } catch (error) {
      if (!hard.signal.aborted) fail(error);
    } finally {
      await Promise.allSettled(running);
      await source.close();
      await Promise.all([...exact.values()].map((e) => e.producer.disconnect().catch(() => undefined)));
      await ownStore?.close();
      await (await admin?.catch(() => undefined))?.disconnect().catch(() => undefined);
      await connecting?.catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      options.signal?.removeEventListener('abort', abort);
    }
    if (failure !== undefined) throw failure.error;
    if (hard.signal.aborted) throw hard.signal.reason ?? new KafkaConnectorError('ERR_KAFKA_STOPPED', `pipeline(group=${groupId})`, 'aborted');
    return stats();
  })();

  // A failure before anyone waits for `done` is reported when they do, not as an unhandled rejection.
  done.catch(() => undefined);
  return {
    done,
    stop: () => {
      source.stop();
      return done;
    },
    stats,
    progress: () => source.progress(),
  };
}
