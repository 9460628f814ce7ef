import { readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectorySnapshotStore, encodeSnapshotKey, snapshotFileName } from '../../../connectors/fs/index.js';
import { ConfigError } from '../../../src/errors/index.js';
import { tempDir } from '../arrow/fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let dir: string;

beforeEach(async () => {
  tmp = await tempDir('titans-snapshots-');
  dir = path.join(tmp.dir, 'snaps'); // created by the first put
});
afterEach(async () => {
  await tmp.remove();
});

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('DirectorySnapshotStore', () => {
  it('put then latest; an unknown key or missing directory has nothing', async () => {
    const store = new DirectorySnapshotStore(dir);
    expect(await store.latest('k')).toBeUndefined();
    expect(await store.list('k')).toEqual([]);
    const first = await store.put('k', bytes(1, 2));
    expect(first).toEqual({ path: path.join(dir, snapshotFileName('k', 1)), seq: 1 });
    const second = await store.put('k', bytes(3));
    expect(second.seq).toBe(2);
    expect(await store.latest('k')).toEqual(bytes(3));
    expect(await store.latest('other')).toBeUndefined();
  });

  it('keeps only the newest N per key', async () => {
    const store = new DirectorySnapshotStore(dir, { keep: 3 });
    for (let i = 1; i <= 7; i++) await store.put('k', bytes(i));
    const entries = await store.list('k');
    expect(entries.map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(await Promise.all(entries.map((e) => store.read(e)))).toEqual([bytes(5), bytes(6), bytes(7)]);
    expect((await readdir(dir)).length).toBe(3);
    expect(entries.every((e) => e.mtime instanceof Date)).toBe(true);
  });

  it('keeps keys apart, including keys that differ only in case or contain separators', async () => {
    const store = new DirectorySnapshotStore(dir, { keep: 2 });
    const keys = ['data/in.arrow', 'Data/in.arrow', 'topic-0', 'ключ 🔑', '..'];
    for (const [i, key] of keys.entries()) {
      await store.put(key, new TextEncoder().encode(`${key}#1`));
      await store.put(key, new TextEncoder().encode(`${key}#${i + 2}`));
    }
    for (const [i, key] of keys.entries()) expect(text(await store.latest(key))).toBe(`${key}#${i + 2}`);
    expect(await store.keys()).toEqual([...keys].sort());
    expect((await readdir(dir)).every((name) => !name.includes('/') && name !== '..')).toBe(true);
  });

  it('candidates are newest first, so a reader can fall back past a corrupt newest snapshot', async () => {
    const store = new DirectorySnapshotStore(dir, { keep: 3 });
    await store.put('k', new TextEncoder().encode('ok:1'));
    await store.put('k', new TextEncoder().encode('ok:2'));
    const newest = await store.put('k', new TextEncoder().encode('ok:3'));
    await writeFile(newest.path, 'garbage'); // e.g. a bad disk block: the codec's checksum would refuse it
    const decode = (b: Uint8Array) => {
      const s = text(b) ?? '';
      if (!s.startsWith('ok:')) throw new Error('corrupt');
      return s;
    };
    const candidates = await store.candidates('k');
    expect(candidates.map((c) => c.seq)).toEqual([3, 2, 1]);
    let restored: string | undefined;
    for (const candidate of candidates) {
      try {
        restored = decode(await store.read(candidate));
        break;
      } catch {
        continue;
      }
    }
    expect(restored).toBe('ok:2');
  });

  it('a temporary file left by a crashed writer is ignored by reads and removed by the next put', async () => {
    const store = new DirectorySnapshotStore(dir);
    await store.put('k', bytes(1));
    // What a writer killed between write and rename leaves behind (newer seq, partial content).
    const leftover = path.join(dir, `.${snapshotFileName('k', 2)}.99999-deadbeef.tmp`);
    await writeFile(leftover, bytes(2, 2));
    const otherKeysTemp = path.join(dir, `.${snapshotFileName('k2', 1)}.99999-cafe.tmp`);
    await writeFile(otherKeysTemp, bytes(0));
    expect((await store.list('k')).map((e) => e.seq)).toEqual([1]);
    expect(await store.latest('k')).toEqual(bytes(1));
    expect(await store.keys()).toEqual(['k']);
    const put = await store.put('k', bytes(3));
    expect(put.seq).toBe(2);
    const names = await readdir(dir);
    expect(names).not.toContain(path.basename(leftover));
    expect(names).toContain(path.basename(otherKeysTemp)); // another key's writer may be busy
    expect(await store.latest('k')).toEqual(bytes(3));
  });

  it('explicit seq: numbers snapshots by the caller, an equal seq replaces', async () => {
    const store = new DirectorySnapshotStore(dir, { keep: 2, fsync: false });
    await store.put('k', bytes(1), { seq: 10 });
    await store.put('k', bytes(2), { seq: 20 });
    await store.put('k', bytes(3), { seq: 20 });
    expect((await store.list('k')).map((e) => e.seq)).toEqual([10, 20]);
    expect(await store.latest('k')).toEqual(bytes(3));
    expect((await store.put('k', bytes(4))).seq).toBe(21);
    await expect(store.put('k', bytes(5), { seq: -1 })).rejects.toThrow(ConfigError);
  });

  it('concurrent puts of one key are serialised and all land', async () => {
    const store = new DirectorySnapshotStore(dir, { keep: 10 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.put('k', bytes(i))));
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await store.list('k')).length).toBe(6);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('delete removes a key only', async () => {
    const store = new DirectorySnapshotStore(dir);
    await store.put('a', bytes(1));
    await store.put('a', bytes(2));
    await store.put('b', bytes(3));
    expect(await store.delete('a')).toBe(2);
    expect(await store.latest('a')).toBeUndefined();
    expect(await store.latest('b')).toEqual(bytes(3));
    expect(await store.keys()).toEqual(['b']);
  });

  it('list orders by seq, not by modification time', async () => {
    const store = new DirectorySnapshotStore(dir);
    const older = await store.put('k', bytes(1));
    await store.put('k', bytes(2));
    await utimes(older.path, new Date(), new Date(Date.now() + 60_000));
    expect((await store.candidates('k')).map((e) => e.seq)).toEqual([2, 1]);
  });

  it('rejects a bad keep and bad keys', async () => {
    expect(() => new DirectorySnapshotStore(dir, { keep: 0 })).toThrow(ConfigError);
    const store = new DirectorySnapshotStore(dir);
    await expect(store.put('', bytes(1))).rejects.toThrow(ConfigError);
    await expect(store.latest('x'.repeat(300))).rejects.toThrow(ConfigError);
    expect(encodeSnapshotKey('x'.repeat(200))).toHaveLength(200);
  });
});
