import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryCheckpointStore, loadCheckpointDirectory } from '../../../connectors/fs/index.js';
import { InputError } from '../../../src/errors/index.js';
import { saveCheckpoint, TitansModel } from '../../../src/model/index.js';
import { initBackend } from '../../../src/tensor/index.js';

describe('DirectoryCheckpointStore / loadCheckpointDirectory', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    dir = await mkdtemp(join(tmpdir(), 'titans-ckpt-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a model into a directory and loads the same weights back', async () => {
    const model = TitansModel.create({ arch: 'lmm', dim: 8, layers: 1, heads: 2, segment: 4, seed: 2 });
    const out = join(dir, 'a');
    await mkdir(out);
    try {
      await saveCheckpoint(new DirectoryCheckpointStore(out), model);
      expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors']);
      const { model: loaded, manifest, trainer } = await loadCheckpointDirectory(out);
      expect(manifest.step).toBe(0);
      expect(trainer).toBeUndefined();
      expect(loaded.config).toEqual(model.config);
      for (const [name, w] of Object.entries(model.weights)) expect(Array.from(loaded.weights[name]?.dataSync() ?? [])).toEqual(Array.from(w.dataSync()));
      loaded.dispose();
    } finally {
      model.dispose();
    }
  });

  it('reads a missing file as undefined and an unreadable one as an InputError naming it', async () => {
    const store = new DirectoryCheckpointStore(dir);
    expect(await store.read('config.json')).toBeUndefined();
    await mkdir(join(dir, 'model.safetensors'));
    const error = await store.read('model.safetensors').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('ERR_CHECKPOINT_READ');
    expect((error as InputError).message).toMatch(/: model\.safetensors: cannot be read/);
  });

  it('says when the directory does not exist', async () => {
    await expect(loadCheckpointDirectory(join(dir, 'missing'))).rejects.toThrow(/missing: no such directory/);
  });
});
