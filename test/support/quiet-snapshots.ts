import { expect, vi } from 'vitest';
import { chunkTokens, tokenize, type ChunkResult, type MemoryEvent, type SnapshotEvent, type TokenChunk } from '../../src/pipeline/index.js';
import { pipe, type AsyncOperator } from '../../src/stream/index.js';
import { ByteTokenizer } from '../../src/tokenize/index.js';
import { interleave, stallingSource, streamRecords } from './stream-fixtures.js';

const sleep = (ms: number): Promise<'quiet'> => new Promise((resolve) => setTimeout(resolve, ms, 'quiet'));

/**
 * Checks that a keyed layer given `snapshots: { everyMs }` snapshots keys that went quiet: two
 * keys send some chunks and then nothing (the source stalls). Each key's last event is then a
 * periodic snapshot with the state after its last chunk; no key is snapshotted twice at the same
 * state, and nothing more comes.
 *
 * @param layer - The layer under test, made with `snapshots: { everyMs }`.
 * @param everyMs - Its schedule.
 */
export async function expectQuietKeysSnapshotted(layer: AsyncOperator<TokenChunk, MemoryEvent>, everyMs: number): Promise<void> {
  const { source, returned } = stallingSource(interleave(streamRecords('a', 5), streamRecords('b', 5)));
  const iterator = pipe(source, tokenize(new ByteTokenizer()), chunkTokens(8), layer)[Symbol.asyncIterator]();
  const events: MemoryEvent[] = [];
  let pending = iterator.next();
  try {
    // Read until nothing comes for a while (after the first event: a worker pool takes a while to start).
    for (;;) {
      const next = await (events.length === 0 ? pending : Promise.race([pending, sleep(everyMs * 4)]));
      if (next === 'quiet') break;
      expect(next.done).toBe(false);
      events.push(next.value as MemoryEvent);
      pending = iterator.next();
    }
  } finally {
    await iterator.return?.();
    await pending.catch(() => undefined);
  }
  // The stalled source is released (its return() called) promptly.
  await vi.waitFor(() => expect(returned()).toBe(true), { timeout: 1000 });
  for (const key of ['a', 'b']) {
    const ofKey = events.filter((event) => (event.type === 'chunk' ? event.key : event.snapshot.key) === key);
    const last = ofKey.at(-1);
    const lastChunk = ofKey.filter((e): e is ChunkResult => e.type === 'chunk').at(-1);
    expect(lastChunk?.tokensSeen).toBeGreaterThan(8);
    expect(last?.type).toBe('snapshot');
    const snapshot = last as SnapshotEvent;
    expect(snapshot.reason).toBe('periodic');
    expect(snapshot.snapshot.state.tokensSeen).toBe(lastChunk?.tokensSeen);
    const states = ofKey.filter((e): e is SnapshotEvent => e.type === 'snapshot').map((e) => e.snapshot.state.tokensSeen);
    expect(new Set(states).size).toBe(states.length);
  }
}
