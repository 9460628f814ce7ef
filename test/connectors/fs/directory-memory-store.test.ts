import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryMemoryStore } from '../../../connectors/fs/index.js';
import { SnapshotError } from '../../../src/errors/index.js';
import { TokenMemory } from '../../../src/memory/index.js';
import type { MemorySnapshot } from '../../../src/snapshot/index.js';
import { initBackend } from '../../../src/tensor/index.js';

const config = { vocabSize: 260, dim: 8, heads: 1, headDim: 8, chunkSize: 4, seed: 1 };

async function snapshotAfter(n: number): Promise<MemorySnapshot> {
  const m = TokenMemory.create(config);
  try {
    await m.process(Int32Array.from({ length: n }, (_, i) => i % 200));
    return { key: 'logs/app.log', state: await m.exportState(), createdAt: new Date(0).toISOString() };
  } finally {
    m.dispose();
  }
}

describe('DirectoryMemoryStore', () => {
  let dir = '';
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the latest snapshot, and falls back to the previous one when the latest is corrupt', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-store-'));
    const corrupt: string[] = [];
    const store = new DirectoryMemoryStore(dir, { keep: 3, onCorrupt: (p) => corrupt.push(p) });
    const older = await snapshotAfter(10);
    const newer = await snapshotAfter(20);
    await store.save(older);
    await store.save(newer);
    const expect_ = { config: older.state.config };
    expect((await store.load('logs/app.log', expect_))?.state.tokensSeen).toBe(20);

    const [latest] = await store.files.candidates('logs/app.log');
    const bytes = await readFile(latest!.path);
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0xff;
    await writeFile(latest!.path, bytes);
    expect((await store.load('logs/app.log', expect_))?.state.tokensSeen).toBe(10);
    expect(corrupt).toEqual([latest!.path]);
  });

  it('refuses a snapshot of another configuration instead of skipping it', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-store-'));
    const store = new DirectoryMemoryStore(dir);
    const snap = await snapshotAfter(5);
    await store.save(snap);
    await expect(store.load('logs/app.log', { config: { ...snap.state.config, chunkSize: 8 } as typeof snap.state.config })).rejects.toThrow(SnapshotError);
    expect(await store.load('other', { config: snap.state.config })).toBeUndefined();
  });
});
