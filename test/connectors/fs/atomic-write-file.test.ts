import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsyncDirectory, writeFileAtomic } from '../../../connectors/fs/index.js';
import { tempDir } from '../arrow/fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir('titans-atomic-');
});
afterAll(async () => {
  await tmp.remove();
});

describe('writeFileAtomic', () => {
  it('creates and replaces a file, leaving no temporary file', async () => {
    const file = tmp.file('state.bin');
    await writeFileAtomic(file, Uint8Array.of(1, 2, 3));
    expect([...(await readFile(file))]).toEqual([1, 2, 3]);
    await writeFileAtomic(file, Uint8Array.of(9), { fsync: false });
    expect([...(await readFile(file))]).toEqual([9]);
    expect(await readdir(tmp.dir)).toEqual(['state.bin']);
  });

  it('on failure removes its temporary file and leaves the target as it was', async () => {
    // Renaming a file over a non-empty directory fails after the temporary file was written.
    const target = tmp.file('a-directory');
    await mkdir(target);
    await writeFile(`${target}/inside`, 'x');
    await expect(writeFileAtomic(target, Uint8Array.of(1))).rejects.toThrow();
    expect((await readdir(tmp.dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await readdir(target)).toEqual(['inside']);
  });

  it('fsyncDirectory syncs an existing directory and fails on a missing one', async () => {
    await expect(fsyncDirectory(tmp.dir)).resolves.toBeUndefined();
    await expect(fsyncDirectory(tmp.file('missing'))).rejects.toThrow(/ENOENT/);
  });
});
