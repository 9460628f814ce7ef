/**
 * Held-out bits per byte of a checkpoint on the Brown held-out split (bench/eval/brown.ts), the
 * number quoted in models/default/MODEL-CARD.md, and with `--spam` the ROC-AUC of its surprise as
 * a spam score on the mail stream of `npm run bench:eval` (same messages and settings), beside the
 * adaptive unigram and bigram baselines on the same messages:
 *
 *   npx tsx scripts/eval-default.ts [dir = models/default] [--bytes 16384] [--text <file>] [--spam]
 *
 * The first `--bytes` bytes of the held-out text are read as one stream from a fresh state; with
 * `--text`, likewise the first `--bytes` bytes of that file (e.g. the held-out mail headers that
 * scripts/prepare-default-corpus.ts writes).
 * One JSON line per measurement on stdout.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { modelSurprise, ngramSurprise } from '../bench/eval/anomaly.js';
import { readBrown } from '../bench/eval/brown.js';
import { loadModelDirectory } from '../bench/eval/load-model.js';
import { rocAuc } from '../bench/eval/roc-auc.js';
import { spamStream } from '../bench/eval/spam.js';
import { evaluateStream } from '../src/model/index.js';
import { initBackend } from '../src/tensor/index.js';

/** The anomaly settings of the full `bench:eval` run (bench/eval.ts). */
const SPAM_SETTINGS = { count: 150, spamFraction: 0.2, maxBytes: 400, seed: 0 };

const { values, positionals } = parseArgs({ options: { bytes: { type: 'string', default: '16384' }, spam: { type: 'boolean', default: false }, text: { type: 'string' } }, allowPositionals: true, strict: true });
const dir = positionals[0] ?? 'models/default';
const bytes = Number(values.bytes);
if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`--bytes must be a positive integer, got ${values.bytes}`);
const backend = await initBackend();
const text = Int32Array.from(new TextEncoder().encode(await readBrown('heldout')));
const { model } = await loadModelDirectory(dir);
const print = (row: Record<string, unknown>) => void process.stdout.write(JSON.stringify({ model: dir, arch: model.config.arch, parameters: model.parameterCount, backend: backend.name, ...row }) + '\n');
try {
  const started = performance.now();
  const e = await evaluateStream(model, text.subarray(0, bytes));
  print({ heldOutBytes: e.tokens, bitsPerByte: e.bits, seconds: (performance.now() - started) / 1000 });
  if (values.text !== undefined) {
    const other = Int32Array.from(new TextEncoder().encode(await readFile(values.text, 'utf8')));
    const t = await evaluateStream(model, other.subarray(0, bytes));
    print({ text: values.text, bytes: t.tokens, bitsPerByte: t.bits });
  }
  if (values.spam) {
    const messages = await spamStream(SPAM_SETTINGS);
    const labels = messages.map((m) => m.label);
    const t0 = performance.now();
    const modelAuc = rocAuc(await modelSurprise(model, messages), labels);
    print({
      spam: { ...SPAM_SETTINGS, spamMessages: labels.filter((l) => l === 1).length },
      rocAuc: { model: modelAuc, unigram: rocAuc(ngramSurprise(messages, 0), labels), bigram: rocAuc(ngramSurprise(messages, 1), labels) },
      seconds: (performance.now() - t0) / 1000,
    });
  }
} finally {
  model.dispose();
}
