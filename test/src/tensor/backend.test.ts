import { describe, expect, it } from 'vitest';
import { BackendError, ConfigError } from '../../../src/errors/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

describe('initBackend', () => {
  it('picks wasm automatically when tfjs-node is not installed, loading the binary from node_modules', async () => {
    const info = await initBackend({ env: {} });
    expect(info).toEqual({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', chosenBy: 'auto' });
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]));
    expect(Array.from(await y.data())).toEqual([3, 3, 3, 3]);
    y.dispose();
  });

  it('honours TITANS_BACKEND and the explicit option, option first', async () => {
    expect((await initBackend({ env: { TITANS_BACKEND: 'cpu' } })).chosenBy).toBe('env');
    expect(tf.getBackend()).toBe('cpu');
    const info = await initBackend({ backend: 'wasm', env: { TITANS_BACKEND: 'cpu' } });
    expect(info).toMatchObject({ name: 'wasm', chosenBy: 'option' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('names the package to install when the tensorflow backend is missing', async () => {
    const attempt = initBackend({ backend: 'tensorflow' });
    await expect(attempt).rejects.toBeInstanceOf(BackendError);
    await expect(attempt).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });

  it('rejects an unknown backend name with a ConfigError naming its source', async () => {
    await expect(initBackend({ env: { TITANS_BACKEND: 'webgpu' } })).rejects.toThrow(ConfigError);
    await expect(initBackend({ env: { TITANS_BACKEND: 'webgpu' } })).rejects.toThrow(/TITANS_BACKEND/);
  });
});
