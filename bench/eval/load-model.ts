import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/model/index.js';
import type { LoadedCheckpoint } from '../../src/model/index.js';

/**
 * Loads a checkpoint directory written by `titans-stream train` (weights only, no optimizer state).
 *
 * @example
 * ```ts
 * const { model } = await loadModelDirectory('models/default');
 * ```
 * @param dir - The directory.
 * @returns The loaded checkpoint; the caller disposes `model`.
 */
export function loadModelDirectory(dir: string): Promise<LoadedCheckpoint> {
  return loadCheckpoint(
    {
      location: dir,
      async read(name) {
        try {
          return await readFile(join(dir, name));
        } catch (e) {
          if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
          throw e;
        }
      },
      write() {
        return Promise.reject(new Error(`${dir} is opened read-only`));
      },
    },
    { optimizer: false },
  );
}
