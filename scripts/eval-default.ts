/**
 * Held-out bits per byte of a checkpoint on the Brown held-out split (bench/eval/brown.ts), the
 * number quoted in models/default/MODEL-CARD.md:
 *
 *   npx tsx scripts/eval-default.ts [dir = models/default] [--bytes 16384]
 *
 * The first `--bytes` bytes of the held-out text are read as one stream from a fresh state.
 */
import { parseArgs } from 'node:util';
import { readBrown } from '../bench/eval/brown.js';
import { loadModelDirectory } from '../bench/eval/load-model.js';
import { evaluateStream } from '../src/model/index.js';
import { initBackend } from '../src/tensor/index.js';

const { values, positionals } = parseArgs({ options: { bytes: { type: 'string', default: '16384' } }, allowPositionals: true, strict: true });
const dir = positionals[0] ?? 'models/default';
const bytes = Number(values.bytes);
if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`--bytes must be a positive integer, got ${values.bytes}`);
const backend = await initBackend();
const text = Int32Array.from(new TextEncoder().encode(await readBrown('heldout')));
const { model } = await loadModelDirectory(dir);
try {
  const started = performance.now();
  const e = await evaluateStream(model, text.subarray(0, bytes));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ model: dir, arch: model.config.arch, parameters: model.parameterCount, backend: backend.name, heldOutBytes: e.tokens, bitsPerByte: e.bits, seconds }) + '\n');
} finally {
  model.dispose();
}
