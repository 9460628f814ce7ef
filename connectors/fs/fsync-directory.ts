import { open } from 'node:fs/promises';

/**
 * Flushes a directory's entries to disk, so that a file created or renamed in it survives a
 * crash. Does nothing on Windows, where directories cannot be opened for syncing.
 *
 * @example
 * ```ts
 * await rename(tmp, final);
 * await fsyncDirectory(path.dirname(final));
 * ```
 * @param dir - The directory.
 * @returns When the directory has been synced.
 * @throws The file system's error when the directory cannot be opened or synced.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
