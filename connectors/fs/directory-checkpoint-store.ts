import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../src/errors/input-error.js';
import { loadCheckpoint, type CheckpointStore, type LoadedCheckpoint } from '../../src/model/checkpoint.js';
import { writeFileAtomic } from './atomic-write-file.js';

/**
 * A model checkpoint directory (`config.json`, `model.safetensors`, `optimizer.safetensors`; see
 * docs/checkpoint-format.md) as a {@link CheckpointStore}: files read whole, written atomically.
 * A missing file reads as `undefined`; any other read failure is an {@link InputError} naming the file.
 *
 * @example
 * ```ts
 * const store = new DirectoryCheckpointStore('./checkpoints/lmm');
 * await saveCheckpoint(store, model, { trainer: await trainer.exportState() });
 * ```
 */
export class DirectoryCheckpointStore implements CheckpointStore {
  /** @param location - The directory (created by the caller before writing). */
  constructor(readonly location: string) {}

  async read(name: string): Promise<Uint8Array | undefined> {
    const path = join(this.location, name);
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
      throw new InputError('ERR_CHECKPOINT_READ', `checkpoint ${this.location}: ${name}: cannot be read (${(error as Error).message})`, undefined, { cause: error });
    }
  }

  write(name: string, bytes: Uint8Array): Promise<void> {
    return writeFileAtomic(join(this.location, name), bytes);
  }
}

/**
 * Loads the model (and, unless `optimizer: false`, the training state) from a checkpoint
 * directory written by `titans-stream train` or `saveCheckpoint`, with every problem reported as
 * an {@link InputError} that names the directory, the file and what is wrong with it.
 *
 * @example
 * ```ts
 * const { model, manifest } = await loadCheckpointDirectory('./checkpoints/lmm', { optimizer: false });
 * ```
 * @param dir - The checkpoint directory.
 * @param options - `optimizer: false` skips the optimizer moments (inference only).
 * @returns The model (the caller disposes it), its manifest and the trainer state, if any.
 * @throws {@link InputError} `ERR_CHECKPOINT_MISSING` (no such directory, or a file missing),
 *   `ERR_CHECKPOINT_READ`, `ERR_CHECKPOINT_VERSION`, `ERR_CHECKPOINT_FORMAT`, `ERR_CHECKPOINT_SHAPE`
 *   (see `loadCheckpoint`); {@link ConfigError} for an invalid model configuration in config.json.
 */
export async function loadCheckpointDirectory(dir: string, options: { readonly optimizer?: boolean } = {}): Promise<LoadedCheckpoint> {
  const info = await stat(dir).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    throw new InputError('ERR_CHECKPOINT_MISSING', `checkpoint ${dir}: ${code === 'ENOENT' ? 'no such directory' : `cannot be opened (${(error as Error).message})`}`, undefined, { cause: error });
  });
  if (!info.isDirectory()) throw new InputError('ERR_CHECKPOINT_MISSING', `checkpoint ${dir}: is a file, expected a directory holding config.json and model.safetensors`);
  return loadCheckpoint(new DirectoryCheckpointStore(dir), options);
}
