import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotError } from '../../../src/errors/index.js';
import { configFingerprint, resolveTokenMemoryConfig, TokenMemory, type MemoryState } from '../../../src/memory/index.js';
import { TitansModel, titansStreamConfig } from '../../../src/model/index.js';
import { TitansMemory } from '../../../src/pipeline/index.js';
import { decodeSnapshot, encodeSnapshot, inspectSnapshot, type MemorySnapshot } from '../../../src/snapshot/index.js';
import { initBackend } from '../../../src/tensor/index.js';

const config = { vocabSize: 260, dim: 16, heads: 2, headDim: 8, chunkSize: 8, seed: 7 };
const covers = { position: { kind: 'stream', stream: 's', index: 41 }, recordTokens: 3, recordComplete: false, records: 41 } as const;

async function snapshotAfter(tokens: number[]): Promise<MemorySnapshot> {
  const memory = TokenMemory.create(config);
  try {
    await memory.process(Int32Array.from(tokens));
    return { key: 's', state: await memory.exportState(), covers, createdAt: '2026-11-29T00:00:00.000Z' };
  } finally {
    memory.dispose();
  }
}

/** Flips one byte inside the tensor data region (the largest run of float bytes at the end). */
function flipDataByte(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const at = copy.length - 64;
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

describe('snapshot codec', () => {
  let snapshot: MemorySnapshot;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    snapshot = await snapshotAfter(Array.from({ length: 21 }, (_, i) => (i * 37) % 256));
  });

  it('round-trips every tensor bit for bit, with config, counters and coverage', () => {
    const back = decodeSnapshot(encodeSnapshot(snapshot), { config: snapshot.state.config, key: 's' });
    expect(back.key).toBe('s');
    expect(back.covers).toEqual(covers);
    expect(back.state.config).toEqual(snapshot.state.config);
    expect(back.state.tokensSeen).toBe(21);
    expect(back.state.chunksApplied).toBe(snapshot.state.chunksApplied);
    expect(back.state.arrays.map((a) => [a.name, a.dtype, a.shape])).toEqual(snapshot.state.arrays.map((a) => [a.name, a.dtype, [...a.shape]]));
    back.state.arrays.forEach((a, i) => expect(Array.from(a.data)).toEqual(Array.from(snapshot.state.arrays[i]?.data ?? [])));
  });

  it('a restored memory continues exactly like the original', async () => {
    const rest = Int32Array.from({ length: 19 }, (_, i) => (i * 11) % 256);
    const original = TokenMemory.create(config);
    const restored = TokenMemory.create(config);
    try {
      await original.process(Int32Array.from({ length: 21 }, (_, i) => (i * 37) % 256));
      restored.importState(decodeSnapshot(encodeSnapshot(snapshot)).state);
      const a = await original.process(rest);
      const b = await restored.process(rest);
      expect(Array.from(b.loss ?? [])).toEqual(Array.from(a.loss ?? []));
    } finally {
      original.dispose();
      restored.dispose();
    }
  });

  it('inspect lists shapes and per-tensor checksums without the values', () => {
    const summary = inspectSnapshot(encodeSnapshot(snapshot));
    expect(summary.version).toBe(1);
    expect(summary.covers).toEqual(covers);
    expect(summary.tensors.length).toBe(snapshot.state.arrays.length);
    for (const t of summary.tensors) {
      expect(t.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(t.bytes).toBe(t.shape.reduce((a, b) => a * b, 1) * 4);
    }
  });

  it('refuses flipped data bytes as corrupt', () => {
    const attempt = () => decodeSnapshot(flipDataByte(encodeSnapshot(snapshot)));
    expect(attempt).toThrow(SnapshotError);
    expect(attempt).toThrow(/checksum/);
  });

  it('refuses truncated bytes and non-snapshots as corrupt', () => {
    const bytes = encodeSnapshot(snapshot);
    for (const broken of [bytes.subarray(0, bytes.length / 2), new Uint8Array(100), new TextEncoder().encode('hello')]) {
      try {
        decodeSnapshot(broken);
        expect.unreachable('decode should have failed');
      } catch (e) {
        expect(e).toBeInstanceOf(SnapshotError);
        expect((e as SnapshotError).code).toBe('ERR_SNAPSHOT_CORRUPT');
      }
    }
  });

  it('names every config field that does not fit the target memory', () => {
    const bytes = encodeSnapshot(snapshot);
    try {
      decodeSnapshot(bytes, { config: { ...snapshot.state.config, chunkSize: 16, seed: 8 } as typeof snapshot.state.config });
      expect.unreachable('decode should have failed');
    } catch (e) {
      expect(e).toBeInstanceOf(SnapshotError);
      const error = e as SnapshotError;
      expect(error.code).toBe('ERR_SNAPSHOT_CONFIG');
      expect(error.mismatches).toEqual(['config.chunkSize: snapshot has 8, memory has 16', 'config.seed: snapshot has 7, memory has 8']);
    }
    expect(() => decodeSnapshot(bytes, { config: snapshot.state.config, key: 'other' })).toThrow(/key: snapshot has "s", expected "other"/);
  });
});

describe('snapshot codec: titans-stream states', () => {
  let model: TitansModel;
  let snapshot: MemorySnapshot;
  const tokens = Int32Array.from({ length: 29 }, (_, i) => (i * 37) % 256);
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    model = TitansModel.create({ arch: 'mag', dim: 16, layers: 1, heads: 2, segment: 8, window: 12, persistent: 2, seed: 1 });
    const memory = new TitansMemory(model, titansStreamConfig(model));
    try {
      await memory.process(tokens);
      snapshot = { key: 's', state: await memory.exportState(), covers, createdAt: '2026-11-29T00:00:00.000Z' };
    } finally {
      memory.dispose();
    }
  });
  afterAll(() => model.dispose());

  /** Re-encodes the snapshot with a changed state (the checksums then match the change). */
  const withState = (change: (state: MemoryState) => MemoryState): Uint8Array => {
    const state = change(snapshot.state);
    return encodeSnapshot({ ...snapshot, state: { ...state, fingerprint: configFingerprint(state.config) } });
  };

  it('round-trips and continues exactly like the original stream', async () => {
    const back = decodeSnapshot(encodeSnapshot(snapshot), { config: titansStreamConfig(model), key: 's' });
    expect(back.state.kind).toBe('titans-stream');
    expect(back.state.chunksApplied).toBe(Math.floor((tokens.length + 1) / 8));
    back.state.arrays.forEach((a, i) => expect(Array.from(a.data)).toEqual(Array.from(snapshot.state.arrays[i]?.data ?? [])));
    expect(inspectSnapshot(encodeSnapshot(snapshot)).kind).toBe('titans-stream');
    const next = Int32Array.from([5, 6, 7, 8, 9, 10, 11]);
    const original = model.stream();
    const restored = new TitansMemory(model, titansStreamConfig(model));
    try {
      await original.process(tokens);
      restored.importState(back.state);
      expect(restored.tokensSeen).toBe(tokens.length);
      expect(Array.from((await restored.process(next)).loss ?? [])).toEqual(Array.from((await original.process(next)).nll));
    } finally {
      original.dispose();
      restored.dispose();
    }
  });

  it('refuses an unknown state version, a malformed model configuration or weights fingerprint, and missing pending tokens', () => {
    expect(() => decodeSnapshot(withState((s) => ({ ...s, version: 2 as unknown as 1 })))).toThrow(/titans-stream state version 2 is not supported/);
    const noModel = withState((s) => ({ ...s, config: { ...(s.config as ReturnType<typeof titansStreamConfig>), model: { arch: 'mag' } as never } }));
    expect(() => decodeSnapshot(noModel)).toThrow(/config.model is not a resolved Titans model configuration/);
    const badWeights = withState((s) => ({ ...s, config: { ...(s.config as ReturnType<typeof titansStreamConfig>), weights: 'nope' } }));
    expect(() => decodeSnapshot(badWeights)).toThrow(/config.weights is not a weights fingerprint/);
    const noPending = withState((s) => ({ ...s, arrays: s.arrays.filter((a) => a.name !== 'pending') }));
    expect(() => decodeSnapshot(noPending)).toThrow(SnapshotError);
    expect(() => decodeSnapshot(noPending)).toThrow(/no int32 \[n\] tensor "pending"/);
  });

  it('refuses to restore into another model or another kind of memory, saying which', () => {
    const other = TitansModel.create({ ...model.config, seed: 2 });
    try {
      const error = (() => {
        try {
          decodeSnapshot(encodeSnapshot(snapshot), { config: titansStreamConfig(other) });
        } catch (e) {
          return e as SnapshotError;
        }
        throw new Error('no error');
      })();
      expect(error.code).toBe('ERR_SNAPSHOT_CONFIG');
      expect(error.message).toMatch(/taken with another model/);
      expect(error.mismatches).toContain('config.model.seed: snapshot has 1, memory has 2');
    } finally {
      other.dispose();
    }
    expect(() => decodeSnapshot(encodeSnapshot(snapshot), { config: resolveTokenMemoryConfig(config) })).toThrow(/holds a titans-stream state, this layer restores token-memory states/);
  });
});
