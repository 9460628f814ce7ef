/**
 * Writes the Brown corpus as plain text, split into train and held-out files (bench/eval/brown.ts
 * documents the split):
 *
 *   npx tsx scripts/prepare-brown.ts [--out .cache/brown]   →  <out>/train.txt, <out>/heldout.txt
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readBrown } from '../bench/eval/brown.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: '.cache/brown' } }, strict: true });
await mkdir(values.out, { recursive: true });
for (const split of ['train', 'heldout'] as const) {
  const text = await readBrown(split);
  const file = join(values.out, `${split}.txt`);
  await writeFile(file, text);
  process.stdout.write(`${file}: ${Buffer.byteLength(text)} bytes\n`);
}
