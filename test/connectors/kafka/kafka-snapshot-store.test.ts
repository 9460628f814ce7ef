import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecord } from '../../../connectors/kafka/index.js';
import { KafkaSnapshotStore, partMessage, splitSnapshot } from '../../../connectors/kafka/index.js';
import { ConfigError, SnapshotError } from '../../../src/errors/index.js';
import { resolveTokenMemoryConfig, TokenMemory } from '../../../src/memory/index.js';
import type { MemorySnapshot } from '../../../src/snapshot/index.js';
import { encodeSnapshot } from '../../../src/snapshot/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

const config = { vocabSize: 260, dim: 16, chunkSize: 32, seed: 5 };

async function snapshotAfter(tokens: number, key = 'logs-0'): Promise<MemorySnapshot> {
  const memory = TokenMemory.create(config);
  try {
    await memory.process(Int32Array.from({ length: tokens }, (_, i) => (i * 7) % 250));
    const covers = { position: { kind: 'kafka', topic: 'logs', partition: 0, offset: String(tokens) }, recordTokens: 3, recordComplete: true, records: tokens } as const;
    return { key, state: await memory.exportState(), covers, createdAt: new Date().toISOString(), extra: { note: `after ${tokens}` } };
  } finally {
    memory.dispose();
  }
}

describe('KafkaSnapshotStore on the real broker', () => {
  const kafka = useKafka();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  function store(topic: string, options: Partial<ConstructorParameters<typeof KafkaSnapshotStore>[0]> = {}): KafkaSnapshotStore {
    const s = new KafkaSnapshotStore({ client: kafka.client(), topic, storeKey: (key) => `group-a/${key}`, ...options });
    kafka.closeAfterTest({ disconnect: () => s.close() });
    return s;
  }

  function configOf(): { config: TokenMemory['config'] } {
    return { config: resolveTokenMemoryConfig(config) };
  }

  /** The snapshot part messages on `topic` (without the end markers that loads write: tombstones). */
  async function topicRecords(topic: string, count: number): Promise<KafkaRecord[]> {
    const records: KafkaRecord[] = [];
    const consumer = kafka.closeAfterTest(kafka.client().consumer({ groupId: uniqueName('peek'), maxWaitTimeMs: 100 }));
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run({ eachBatch: async (batch) => void records.push(...batch.records.filter((r) => r.value !== null)) });
    await waitUntil(`${count} records on ${topic}`, () => records.length >= count);
    return records;
  }

  it('creates a compacted topic on demand and gives back what it stored; an unknown key has nothing', async () => {
    const topic = uniqueName('snapshots');
    const s = store(topic);
    expect(await s.load('logs-0', configOf())).toBeUndefined();
    const admin = await kafka.admin();
    expect((await admin.describeTopicConfigs(topic))['cleanup.policy']).toBe('compact');
    const snapshot = await snapshotAfter(200);
    await s.save(snapshot);
    const back = await store(topic).load('logs-0', configOf());
    expect(back?.key).toBe('logs-0');
    expect(back?.covers).toEqual(snapshot.covers);
    expect(back?.extra).toEqual(snapshot.extra);
    expect(back?.state.tokensSeen).toBe(200);
    expect(back?.state.arrays.map((a) => Array.from(a.data))).toEqual(snapshot.state.arrays.map((a) => Array.from(a.data)));
    expect(await store(topic).load('logs-1', configOf())).toBeUndefined();
    const [record] = await topicRecords(topic, 1);
    expect(new TextDecoder().decode(record?.key as Uint8Array)).toBe('group-a/logs-0@0/0');
  });

  it('splits a snapshot larger than the part size into parts and puts it back together', async () => {
    const topic = uniqueName('snapshots');
    const snapshot = await snapshotAfter(300);
    const size = encodeSnapshot(snapshot).byteLength;
    const partBytes = 2048;
    expect(size).toBeGreaterThan(3 * partBytes);
    await store(topic, { partBytes }).save(snapshot);
    const records = await topicRecords(topic, Math.ceil(size / partBytes));
    expect(records).toHaveLength(Math.ceil(size / partBytes));
    expect(records.every((r) => (r.value?.byteLength ?? Infinity) <= partBytes)).toBe(true);
    const back = await store(topic, { partBytes }).load('logs-0', configOf());
    expect(back?.state.tokensSeen).toBe(300);
    expect(back?.state.arrays.map((a) => Array.from(a.data))).toEqual(snapshot.state.arrays.map((a) => Array.from(a.data)));
  });

  it('keeps the latest two snapshots per key (slots in turn), separately per key', async () => {
    const topic = uniqueName('snapshots');
    const s = store(topic, { partBytes: 8192 });
    for (const tokens of [10, 20, 30]) await s.save(await snapshotAfter(tokens));
    await s.save(await snapshotAfter(99, 'logs-1'));
    const fresh = store(topic);
    expect((await fresh.loadAll('logs-0', configOf())).map((x) => x.state.tokensSeen)).toEqual([30, 20]);
    expect((await fresh.load('logs-0', configOf()))?.state.tokensSeen).toBe(30);
    expect((await fresh.loadAll('logs-1', configOf())).map((x) => x.state.tokensSeen)).toEqual([99]);
  });

  it('loads asked for together share one read and each get their own key', async () => {
    const topic = uniqueName('snapshots');
    const s = store(topic);
    await Promise.all(['a', 'b', 'c'].map(async (key, i) => s.save(await snapshotAfter(10 * (i + 1), key))));
    const fresh = store(topic);
    const loaded = await Promise.all(['a', 'b', 'c', 'd'].map((key) => fresh.load(key, configOf())));
    expect(loaded.map((x) => x?.state.tokensSeen)).toEqual([10, 20, 30, undefined]);
  });

  it('an incomplete latest snapshot (a crash mid-write) is reported and the previous one loaded; the next save repairs the slot', async () => {
    const topic = uniqueName('snapshots');
    const partBytes = 4096;
    const s = store(topic, { partBytes });
    await s.save(await snapshotAfter(10)); // slot 0
    await s.save(await snapshotAfter(20)); // slot 1
    // A third save cut short: only its first part reaches slot 0.
    const cut = splitSnapshot(encodeSnapshot(await snapshotAfter(30)), { storeKey: 'group-a/logs-0', id: 'cut-short', slot: 0, partBytes });
    expect(cut.length).toBeGreaterThan(1);
    const producer = await kafka.producer();
    await producer.send([{ topic, messages: [partMessage(cut[0]!, 0)] }]);

    const problems: string[] = [];
    const fresh = store(topic, { partBytes, onCorrupt: (key, problem) => problems.push(`${key}: ${problem}`) });
    expect((await fresh.load('logs-0', configOf()))?.state.tokensSeen).toBe(20);
    expect(problems).toEqual([expect.stringMatching(/^logs-0: snapshot cut-short is incomplete: part\(s\) 1, .* missing/)]);
    await fresh.save(await snapshotAfter(40)); // goes to slot 0, over the broken write
    problems.length = 0;
    expect((await store(topic, { onCorrupt: (_, p) => problems.push(p) }).loadAll('logs-0', configOf())).map((x) => x.state.tokensSeen)).toEqual([40, 20]);
    expect(problems).toEqual([]);
  });

  it('a damaged latest snapshot (checksum mismatch, or bytes that do not decode) falls back to the previous one', async () => {
    const topic = uniqueName('snapshots');
    const s = store(topic);
    await s.save(await snapshotAfter(10)); // slot 0
    await s.save(await snapshotAfter(20)); // slot 1
    const producer = await kafka.producer();
    const [flipped] = splitSnapshot(encodeSnapshot(await snapshotAfter(30)), { storeKey: 'group-a/logs-0', id: 'flipped', slot: 0, partBytes: 1 << 19 });
    const data = flipped!.data.slice();
    data[data.length >> 1]! ^= 0x40;
    await producer.send([{ topic, messages: [partMessage({ ...flipped!, data }, 0)] }]);
    const problems: string[] = [];
    expect((await store(topic, { onCorrupt: (_, p) => problems.push(p) }).load('logs-0', configOf()))?.state.tokensSeen).toBe(20);
    expect(problems).toEqual([expect.stringMatching(/SHA-256 mismatch/)]);

    // Consistent parts of bytes that are no snapshot: the codec refuses them.
    const [garbage] = splitSnapshot(new Uint8Array(500).fill(7), { storeKey: 'group-a/logs-0', id: 'garbage', slot: 1, partBytes: 1 << 19 });
    await producer.send([{ topic, messages: [partMessage(garbage!, 0)] }]);
    problems.length = 0;
    expect((await store(topic, { onCorrupt: (_, p) => problems.push(p) }).load('logs-0', configOf()))).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/corrupt snapshot/), expect.stringMatching(/SHA-256 mismatch/)]);
  });

  it('written in a transaction: visible only once committed; a load waits for transactions still open before its read, and so sees a snapshot committed after them', async () => {
    const topic = uniqueName('snapshots');
    const s = store(topic);
    await s.save(await snapshotAfter(10));
    const transactional = async (id: string) => {
      const p = kafka.closeAfterTest(kafka.client().producer({ transactionalId: uniqueName(id) }));
      await p.connect();
      return p;
    };

    // Aborted: the load gives the one before.
    const aborting = await (await transactional('abort')).transaction();
    await s.save(await snapshotAfter(20), aborting);
    await aborting.abort();
    expect((await store(topic).load('logs-0', configOf()))?.state.tokensSeen).toBe(10);

    // Another key's transaction opens first and stays open; this key's snapshot commits after it.
    const open = await (await transactional('open')).transaction();
    await s.save(await snapshotAfter(5, 'logs-1'), open);
    const committing = await (await transactional('commit')).transaction();
    await s.save(await snapshotAfter(30), committing);
    await committing.commit();
    const loading: { done: boolean; snapshot?: MemorySnapshot | undefined } = { done: false };
    const load = store(topic)
      .load('logs-0', configOf())
      .then((snapshot) => Object.assign(loading, { done: true, snapshot }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Still reading: the last stable offset stops before the committed snapshot until `open` ends.
    expect(loading.done).toBe(false);
    await open.commit();
    await load;
    expect(loading.snapshot?.state.tokensSeen).toBe(30);
    expect((await store(topic).load('logs-1', configOf()))?.state.tokensSeen).toBe(5);
  });

  it('refuses a snapshot of another configuration, and a topic that is not compacted', async () => {
    const topic = uniqueName('snapshots');
    await store(topic).save(await snapshotAfter(10));
    await expect(store(topic).load('logs-0', { config: resolveTokenMemoryConfig({ ...config, dim: 8 }) })).rejects.toSatisfy(
      (e) => e instanceof SnapshotError && e.code === 'ERR_SNAPSHOT_CONFIG',
    );
    const plain = uniqueName('not-compacted');
    const admin = await kafka.admin();
    await admin.createTopics([{ topic: plain, numPartitions: 1 }]);
    await expect(store(plain).load('logs-0', configOf())).rejects.toBeInstanceOf(ConfigError);
  });
});
