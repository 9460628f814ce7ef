import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILES, TitansModel, Trainer, decodeSafetensors, encodeSafetensors, loadCheckpoint, saveCheckpoint } from '../../../src/model/index.js';
import type { CheckpointStore } from '../../../src/model/index.js';
import { initBackend } from '../../../src/tensor/index.js';

function memoryStore(): CheckpointStore & { files: Map<string, Uint8Array> } {
  const files = new Map<string, Uint8Array>();
  return {
    files,
    location: 'mem://ckpt',
    read: async (name) => files.get(name),
    write: async (name, bytes) => void files.set(name, bytes),
  };
}

const config = { arch: 'mal', dim: 16, layers: 1, heads: 2, segment: 4, window: 6, persistent: 2, seed: 4 } as const;
const data = Int32Array.from(new TextEncoder().encode('abcabcabdabcabcabd'.repeat(4)));

describe('checkpoints', () => {
  const disposables: { dispose(): void }[] = [];
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => disposables.forEach((d) => d.dispose()));

  it('save → load gives the same weights, the same stream outputs and the trainer state', async () => {
    const model = TitansModel.create(config);
    const trainer = new Trainer(model, data, { steps: 4, batch: 2, seqLen: 8 });
    disposables.push(model, trainer);
    await trainer.next();
    await trainer.next();
    const store = memoryStore();
    await saveCheckpoint(store, model, { trainer: await trainer.exportState(), extra: { data: 'text:x' } });
    expect([...store.files.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'optimizer.safetensors']);
    const loaded = await loadCheckpoint(store);
    disposables.push(loaded.model);
    expect(loaded.manifest).toMatchObject({ format: 'titans-stream.checkpoint', version: 1, step: 2, training: { extra: { data: 'text:x' } } });
    expect(loaded.model.fingerprint).toBe(model.fingerprint);
    for (const [name, t] of Object.entries(model.tensors)) expect(Array.from(loaded.model.tensors[name]?.dataSync() ?? [])).toEqual(Array.from(t.dataSync()));
    const tokens = data.subarray(0, 13);
    const [a, b] = [model.stream(), loaded.model.stream()];
    expect((await b.process(tokens)).nll).toEqual((await a.process(tokens)).nll);
    a.dispose();
    b.dispose();
    // The trainer continues identically from the loaded state.
    const resumed = new Trainer(loaded.model, data, loaded.trainer?.options ?? { steps: 4 });
    disposables.push(resumed);
    resumed.importState(loaded.trainer as NonNullable<typeof loaded.trainer>);
    expect(await resumed.next()).toEqual(await trainer.next());
  });

  it('reports a missing file, a foreign version, a misshapen weight, truncated data and mixed saves, naming the file', async () => {
    const model = TitansModel.create(config);
    disposables.push(model);
    const good = memoryStore();
    await saveCheckpoint(good, model);
    const variant = (edit: (files: Map<string, Uint8Array>) => void) => {
      const s = memoryStore();
      good.files.forEach((v, k) => s.files.set(k, v));
      edit(s.files);
      return loadCheckpoint(s);
    };
    await expect(variant((f) => f.delete(CHECKPOINT_FILES.config))).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_MISSING', message: expect.stringMatching(/mem:\/\/ckpt: config\.json: file is missing/) });
    await expect(variant((f) => f.delete(CHECKPOINT_FILES.model))).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_MISSING', message: expect.stringMatching(/model\.safetensors/) });
    const manifest = JSON.parse(new TextDecoder().decode(good.files.get(CHECKPOINT_FILES.config)));
    await expect(variant((f) => f.set(CHECKPOINT_FILES.config, new TextEncoder().encode(JSON.stringify({ ...manifest, version: 2 }))))).rejects.toMatchObject({
      code: 'ERR_CHECKPOINT_VERSION',
      message: expect.stringMatching(/version 2 is not supported/),
    });
    await expect(variant((f) => f.set(CHECKPOINT_FILES.config, new TextEncoder().encode('{"format"')))).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_FORMAT' });
    const weights = decodeSafetensors(good.files.get(CHECKPOINT_FILES.model) as Uint8Array, 'm');
    const reshaped = weights.tensors.map((t) => (t.name === 'embed' ? { ...t, shape: [t.shape[1] as number, t.shape[0] as number] } : t));
    await expect(variant((f) => f.set(CHECKPOINT_FILES.model, encodeSafetensors(reshaped, weights.metadata)))).rejects.toMatchObject({
      code: 'ERR_CHECKPOINT_SHAPE',
      message: expect.stringMatching(/model\.safetensors: weight "embed" has shape \[16, 260\], the configuration needs \[260, 16\]/),
    });
    const bytes = good.files.get(CHECKPOINT_FILES.model) as Uint8Array;
    await expect(variant((f) => f.set(CHECKPOINT_FILES.model, bytes.subarray(0, bytes.length - 100)))).rejects.toMatchObject({ code: 'ERR_CHECKPOINT_FORMAT', message: expect.stringMatching(/truncated/) });
    await expect(variant((f) => f.set(CHECKPOINT_FILES.model, encodeSafetensors(weights.tensors, { ...weights.metadata, step: '7' })))).rejects.toThrow(/written at step 7, config\.json is at step 0/);
  });
});
