import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from './fsync-directory.js';

/** First characters of the temporary files {@link writeFileAtomic} creates next to the target. */
export const TEMP_PREFIX = '.';
/** Last characters of the temporary files {@link writeFileAtomic} creates. */
export const TEMP_SUFFIX = '.tmp';

/**
 * Replaces a file atomically: the bytes go to a temporary file in the same directory
 * (`.<name>.<pid>-<random>.tmp`), which is synced, renamed over the target, and the directory
 * synced. A crash leaves either the old file or the new one, never a mix; at worst a stray
 * temporary file remains.
 *
 * @example
 * ```ts
 * await writeFileAtomic('/data/state.bin', bytes);
 * ```
 * @param path - The target file.
 * @param bytes - Its new content.
 * @param options - `fsync` (default true): sync the file and the directory.
 * @returns When the new content is in place (and durable, with `fsync`).
 * @throws The file system's error; the temporary file is removed then.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: { readonly fsync?: boolean } = {}): Promise<void> {
  const fsync = options.fsync ?? true;
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (fsync) await fsyncDirectory(dir);
}
