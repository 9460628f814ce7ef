import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The checkpoint directory of the model shipped with the package (`models/default`), found from
 * this file whether it runs from the sources (`cli/run/`) or from `dist/cli/run/`.
 *
 * @returns The absolute directory, or `undefined` when the package has no default model.
 */
export function defaultModelDirectory(): string | undefined {
  for (const rel of ['../../models/default/', '../../../models/default/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}config.json`)) return dir.replace(/\/$/, '');
  }
  return undefined;
}
