/**
 * Evaluation suite (issue 8): held-out bits per byte, needle in a haystack, copy at a distance,
 * multi-query associative recall and ablations for every model variant at equal parameter count
 * and equal training budget, plus spam-vs-ham anomaly detection by surprise. The needle, copy and
 * recall models are trained on their task, with the answers weighted (see `trainOnTask`).
 *
 *   npx tsx bench/eval.ts [--quick] [--budget k] [--tasks needle,copy,recall|none] [--model models/default] [--out bench/results] [--doc docs/evaluation.md]
 *   npx tsx bench/eval.ts --render bench/results/eval-full.json [--doc docs/evaluation.md]
 *
 * `--render` only rewrites the Markdown section from a JSON file of an earlier run.
 * `--tasks` runs only the listed task sections (language modelling, ablations and anomaly
 * detection always run). `--budget k` multiplies every training budget (steps) by k; such a run writes
 * `<out>/eval-full-x<k>.json` and `docs/evaluation-x<k>.md` instead of the default files.
 * Writes `<out>/eval-<full|quick>.json` and (full runs, or when --doc is given) the Markdown
 * report. Progress goes to stderr. Protocols: bench/eval/*.ts and docs/evaluation.md.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateStream } from '../src/model/index.js';
import type { TitansModel, TitansModelConfig, TrainerOptions } from '../src/model/index.js';
import { SeededRandom } from '../src/random/index.js';
import { initBackend, tf } from '../src/tensor/index.js';
import { modelSurprise, ngramSurprise, tokenMemorySurprise } from './eval/anomaly.js';
import { readBrown } from './eval/brown.js';
import { copyAccuracy, copyDocuments } from './eval/copy.js';
import { loadModelDirectory } from './eval/load-model.js';
import { needleTrial, noiseHay, runNeedleTrial } from './eval/needle.js';
import type { NeedleProbe } from './eval/needle.js';
import { passkeyDocuments, passkeyMaxDistance } from './eval/passkey-documents.js';
import { recallExample, recallStream } from './eval/recall.js';
import { renderReport, spliceReport } from './eval/report.js';
import type { CopyRow, EvalReport, NeedleRow, RecallRow, TaskTrainingRow, VariantRow } from './eval/report.js';
import { rocAuc } from './eval/roc-auc.js';
import { spamStream } from './eval/spam.js';
import { evaluationVariants, trainVariant } from './eval/variants.js';
import type { Variant } from './eval/variants.js';

/** The sections with task-trained models; `--tasks` picks some (or `none`: language modelling and anomaly only). */
const TASKS = ['needle', 'copy', 'recall'] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tasks: { type: 'string', default: TASKS.join(',') },
    budget: { type: 'string', default: '1' },
    model: { type: 'string', default: 'models/default' },
    out: { type: 'string', default: 'bench/results' },
    doc: { type: 'string' },
    render: { type: 'string' },
  },
  strict: true,
});
const quick = values.quick;
const budget = Number(values.budget);
if (!(Number.isSafeInteger(budget) && budget >= 1)) {
  process.stderr.write(`--budget must be a whole number ≥ 1 (a multiple of the default training steps), got ${values.budget}\n`);
  process.exit(2);
}
const tasks = new Set(values.tasks === 'none' ? [] : values.tasks.split(','));
for (const t of tasks) {
  if (!(TASKS as readonly string[]).includes(t)) {
    process.stderr.write(`--tasks takes a comma-separated list of ${TASKS.join(', ')} (or none), got ${values.tasks}\n`);
    process.exit(2);
  }
}
/** Suffix of the output files of a run with a larger budget. */
const budgetSuffix = budget === 1 ? '' : `-x${budget}`;

/** Writes the generated section of the Markdown report into `doc`, keeping the text around it. */
async function writeDoc(doc: string, report: EvalReport): Promise<void> {
  const existing = existsSync(doc) ? await readFile(doc, 'utf8') : undefined;
  await writeFile(doc, spliceReport(existing, renderReport(report)));
}

if (values.render !== undefined) {
  const doc = values.doc ?? 'docs/evaluation.md';
  await writeDoc(doc, JSON.parse(await readFile(values.render, 'utf8')) as EvalReport);
  process.stderr.write(`wrote ${doc} from ${values.render}\n`);
  process.exit(0);
}

/** Every knob of the run; the quick settings only check that everything runs. */
const SETTINGS = {
  size: { dim: 32, layers: 2, heads: 2, segment: 32, window: 64, persistent: 4, seed: 0 },
  lm: quick ? { steps: 3 * budget, batch: 2, seqLen: 64, lr: 3e-3, seed: 0 } : { steps: 50 * budget, batch: 4, seqLen: 128, lr: 5e-3, seed: 0 },
  heldOutBytes: quick ? 1024 : 4096,
  needle: quick
    ? { distances: [0, 256], trials: 1, lead: 64, wrong: 9, models: ['mac', 'swa'], hays: ['noise', 'brown'], train: { steps: 3 * budget, batch: 2, seqLen: 256, lr: 5e-3, seed: 2 }, documents: 200, maxTrainedDistance: passkeyMaxDistance(256) }
    : { distances: [0, 256, 1024, 4096, 16_384], trials: 4, lead: 64, wrong: 9, models: ['mac', 'lmm', 'swa'], hays: ['noise', 'brown'], train: { steps: 300 * budget, batch: 4, seqLen: 256, lr: 5e-3, seed: 2 }, documents: 4000, maxTrainedDistance: passkeyMaxDistance(256) },
  copy: quick
    ? { periods: [16, 128], models: ['swa', 'mac'], tokensPerStep: 256, train: { steps: 3 * budget, lr: 5e-3, seed: 3 }, documents: 200, examples: 2 }
    : { periods: [16, 48, 128], models: ['swa', 'mac', 'lmm'], tokensPerStep: 1024, train: { steps: 200 * budget, lr: 5e-3, seed: 3 }, documents: 3000, examples: 8 },
  recall: quick
    ? { train: { steps: 3 * budget, batch: 2, seqLen: 64, lr: 3e-3, seed: 1 }, minPairs: 2, maxPairs: 24, pairs: [4, 16], examples: 4 }
    : { train: { steps: 30 * budget, batch: 2, seqLen: 128, lr: 5e-3, seed: 1 }, minPairs: 2, maxPairs: 24, pairs: [4, 16, 32], examples: 8 },
  anomaly: quick ? { count: 40, spamFraction: 0.2, maxBytes: 300, seed: 0 } : { count: 150, spamFraction: 0.2, maxBytes: 400, seed: 0 },
};
/** Variants that also run the recall test (the ablations only get bits per byte). */
const MAIN = ['mac', 'mag', 'mal', 'lmm', 'swa', 'mac-linear-memory'];

const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const log = (text: string) => void process.stderr.write(`[${seconds().toFixed(0).padStart(5)} s] ${text}\n`);
const encode = (s: string) => Int32Array.from(new TextEncoder().encode(s));

const backend = await initBackend();
log(`backend ${backend.name}; ${quick ? 'QUICK smoke run' : 'full run'}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const trainText = encode(await readBrown('train'));
const heldText = encode(await readBrown('heldout'));
const heldOut = heldText.subarray(0, SETTINGS.heldOutBytes);
log(`Brown: ${trainText.length} training bytes, ${heldText.length} held-out bytes (scored: the first ${heldOut.length})`);

/** Cross-entropy of the held-out bytes under the training bytes' frequencies (add-½): the context-free reference. */
function unigramBits(train: Int32Array, test: Int32Array): number {
  const counts = new Float64Array(260);
  for (const t of train) counts[t] = (counts[t] as number) + 1;
  let bits = 0;
  for (const t of test) bits -= Math.log2(((counts[t] as number) + 0.5) / (train.length + 130));
  return bits / test.length;
}

const variants = evaluationVariants(SETTINGS.size as Omit<TitansModelConfig, 'arch'>);
const rows: VariantRow[] = [];
/** The Brown-trained MAC of the comparison, kept for the anomaly test. */
let suiteMac: TitansModel | undefined;
const needleRows: NeedleRow[] = [];
const recallRows: RecallRow[] = [];
const copyRows: CopyRow[] = [];
const taskTraining: TaskTrainingRow[] = [];

async function needle(name: string, model: TitansModel): Promise<void> {
  const noise = noiseHay(SETTINGS.needle.lead + Math.max(...SETTINGS.needle.distances));
  for (const hayName of SETTINGS.needle.hays as ('noise' | 'brown')[]) {
    const hay = hayName === 'noise' ? noise : heldText;
    const rng = new SeededRandom(`needle-${hayName}`);
    const probes: NeedleProbe[] = [];
    for (let t = 0; t < SETTINGS.needle.trials; t++) {
      const trial = needleTrial({ hay, lead: SETTINGS.needle.lead, maxDistance: Math.max(...SETTINGS.needle.distances), wrong: SETTINGS.needle.wrong, rng });
      probes.push(...(await runNeedleTrial(model, trial, SETTINGS.needle.distances)));
    }
    for (const distance of SETTINGS.needle.distances) {
      const at = probes.filter((p) => p.distance === distance);
      needleRows.push({
        model: name,
        hay: hayName,
        distance,
        trials: at.length,
        greedy: at.filter((p) => p.greedy).length / at.length,
        digits: at.reduce((s, p) => s + p.digitsRight, 0) / (at.length * 5),
        choice: at.filter((p) => p.choice).length / at.length,
        margin: at.reduce((sum, p) => sum + p.margin, 0) / at.length,
      });
    }
    log(`  needle ${name} ${hayName}: ${SETTINGS.needle.distances.map((d) => `${d}:${needleRows.find((r) => r.model === name && r.hay === hayName && r.distance === d)?.margin.toFixed(2)}`).join(' ')} (distance:margin in bits)`);
  }
}

// --- 1. Language modelling on Brown: every variant, same parameters, same budget.
for (const v of variants) {
  log(`train ${v.name} on Brown: ${SETTINGS.lm.steps} steps × ${SETTINGS.lm.batch} × ${SETTINGS.lm.seqLen} tokens`);
  const trained = await trainVariant(v.config, trainText, SETTINGS.lm, (step, loss) => {
    if (step % 10 === 0) log(`  ${v.name} step ${step}/${SETTINGS.lm.steps} loss ${loss.toFixed(3)}`);
  });
  try {
    const e = await evaluateStream(trained.model, heldOut);
    log(`  ${v.name}: ${trained.parameters} parameters, ${trained.seconds.toFixed(0)} s, held-out ${e.bits.toFixed(3)} bits/byte`);
    rows.push({ name: v.name, arch: v.config.arch, parameters: trained.parameters, trainTokens: trained.tokens, trainSeconds: trained.seconds, finalLoss: trained.finalLoss, heldOutBits: e.bits, config: v.config });
  } finally {
    if (v.name === 'mac') suiteMac = trained.model;
    else trained.model.dispose();
  }
}

/** Trains a variant on a task's documents (weighted: the answers count, the rest barely). */
async function trainOnTask(task: string, v: Variant, data: { tokens: Int32Array; weights: Float32Array }, options: TrainerOptions): Promise<TitansModel> {
  log(`train ${v.name} on ${task}: ${options.steps} steps × ${options.batch} × ${options.seqLen} tokens`);
  const trained = await trainVariant(
    v.config,
    data.tokens,
    options,
    (step, loss) => {
      if (step % 50 === 0) log(`  ${v.name} step ${step}/${options.steps} weighted loss ${loss.toFixed(3)}`);
    },
    data.weights,
  );
  taskTraining.push({ task, model: v.name, steps: options.steps, tokens: trained.tokens, seconds: trained.seconds, finalLoss: trained.finalLoss });
  return trained.model;
}

// --- 2. Needle in a haystack: models trained on passkey documents, probed far beyond what they were trained on.
if (tasks.has('needle')) {
  const n = SETTINGS.needle;
  const passkeys = passkeyDocuments({ count: n.documents, length: n.train.seqLen, hays: [noiseHay(8192), trainText], rng: new SeededRandom('passkey-train') });
  for (const v of variants.filter((x) => n.models.includes(x.name))) {
    const model = await trainOnTask('passkey documents', v, passkeys, { ...n.train, align: n.train.seqLen });
    try {
      await needle(v.name, model);
    } finally {
      model.dispose();
    }
  }
}

// --- 3. Copy at a distance: recall of a random string inside and beyond the attention window.
if (tasks.has('copy')) {
  for (const period of SETTINGS.copy.periods) {
    const c = SETTINGS.copy;
    const docs = copyDocuments(c.documents, period, new SeededRandom(`copy-train-${period}`));
    const seqLen = 2 * period;
    for (const v of variants.filter((x) => c.models.includes(x.name))) {
      const model = await trainOnTask(`copy, period ${period}`, v, docs, { ...c.train, batch: Math.max(1, Math.floor(c.tokensPerStep / seqLen)), seqLen, align: seqLen });
      try {
        const accuracy = await copyAccuracy(model, period, c.examples, new SeededRandom(`copy-eval-${period}`));
        copyRows.push({ model: v.name, period, accuracy });
        log(`  copy ${v.name} period ${period}: accuracy ${accuracy.toFixed(2)}`);
      } finally {
        model.dispose();
      }
    }
  }
}

// --- 4. Multi-query associative recall: every main variant trained briefly on synthetic recall data.
if (tasks.has('recall')) {
  const recallData = recallStream(200_000, SETTINGS.recall.minPairs, SETTINGS.recall.maxPairs, new SeededRandom('recall-train'));
  for (const v of variants.filter((x) => MAIN.includes(x.name))) {
    const model = await trainOnTask('associative recall', v, recallData, SETTINGS.recall.train);
    try {
      for (const pairs of SETTINGS.recall.pairs) {
        const rng = new SeededRandom(`recall-eval-${pairs}`);
        let right = 0;
        let total = 0;
        for (let e = 0; e < SETTINGS.recall.examples; e++) {
          const ex = recallExample(pairs, rng);
          const stream = model.stream();
          try {
            const { topK } = await stream.process(ex.tokens, { topK: 1 });
            for (const q of ex.queries) {
              total++;
              if (topK?.ids[q] === ex.tokens[q + 1]) right++;
            }
          } finally {
            stream.dispose();
          }
        }
        recallRows.push({ model: v.name, pairs, length: 4 * pairs + 1, queries: total, accuracy: right / total });
      }
      log(`  recall ${v.name}: ${recallRows.filter((r) => r.model === v.name).map((r) => `${r.pairs} pairs ${r.accuracy.toFixed(2)}`).join(', ')}`);
    } finally {
      model.dispose();
    }
  }
}

// --- 5. Anomaly detection: spam in a ham mail stream, surprise as the score.
const messages = await spamStream(SETTINGS.anomaly);
const labels = messages.map((m) => m.label);
log(`mail stream: ${messages.length} messages (${labels.filter((l) => l === 1).length} spam), ${messages.reduce((s, m) => s + m.bytes.length, 0)} bytes`);
const anomaly: { scorer: string; auc: number; seconds: number }[] = [];
const timed = async (scorer: string, f: () => Promise<Float64Array> | Float64Array) => {
  const t0 = performance.now();
  const scores = await f();
  const row = { scorer, auc: rocAuc(scores, labels), seconds: (performance.now() - t0) / 1000 };
  anomaly.push(row);
  log(`  ${scorer}: ROC-AUC ${row.auc.toFixed(3)} (${row.seconds.toFixed(1)} s)`);
};
await timed('adaptive byte unigram (bits/byte)', () => ngramSurprise(messages, 0));
await timed('adaptive byte bigram (bits/byte)', () => ngramSurprise(messages, 1));
const t0 = performance.now();
const memoryScores = await tokenMemorySurprise(messages, 0);
const memorySeconds = (performance.now() - t0) / 1000;
for (const [scorer, scores] of [
  ['untrained TokenMemory, mean associative loss', memoryScores.loss],
  ['untrained TokenMemory, mean surprise (gradient norm)', memoryScores.gradient],
] as const) {
  anomaly.push({ scorer, auc: rocAuc(scores, labels), seconds: memorySeconds });
  log(`  ${scorer}: ROC-AUC ${(anomaly.at(-1)?.auc ?? 0).toFixed(3)}`);
}
if (suiteMac) {
  const model = suiteMac;
  await timed(`MAC of the comparison above (dim ${SETTINGS.size.dim}, Brown-trained ${SETTINGS.lm.steps} steps), nll bits/byte`, () => modelSurprise(model, messages));
  model.dispose();
}
// --- 6. The shipped default model: held-out bits per byte and the needle test.
let defaultModel: TitansModel | undefined;
let defaultInfo: EvalReport['defaultModel'];
if (existsSync(join(values.model, 'config.json'))) {
  defaultModel = (await loadModelDirectory(values.model)).model;
  const e = await evaluateStream(defaultModel, heldOut);
  defaultInfo = { dir: values.model, parameters: defaultModel.parameterCount, heldOutBits: e.bits, arch: defaultModel.config.arch };
  log(`default model ${values.model}: ${defaultModel.parameterCount} parameters, held-out ${e.bits.toFixed(3)} bits/byte`);
  if (tasks.has('needle')) await needle('default', defaultModel);
} else {
  log(`no model in ${values.model}: the default model's rows are left out`);
}

if (defaultModel) {
  const model = defaultModel;
  await timed(`shipped default model (${model.config.arch}, ${model.parameterCount} parameters; trained as its model card says), nll bits/byte`, () => modelSurprise(model, messages, (i) => void (i % 100 === 99 && log(`  default model: ${i + 1} messages`))));
  model.dispose();
}

const report: EvalReport = {
  quick,
  budget,
  tasks: TASKS.filter((t) => tasks.has(t)),
  date: new Date().toISOString(),
  seconds: seconds(),
  machine: { cpus: cpus().length, loadAverageAtEnd: loadavg(), backend: backend.name, node: process.version, tfjs: tf.version_core },
  settings: SETTINGS,
  unigramBits: unigramBits(trainText, heldOut),
  variants: rows,
  taskTraining,
  needle: needleRows,
  copy: copyRows,
  recall: recallRows,
  ...(defaultInfo ? { defaultModel: defaultInfo } : {}),
  anomaly,
  anomalyData: { messages: messages.length, spam: labels.filter((l) => l === 1).length, bytes: messages.reduce((s, m) => s + m.bytes.length, 0) },
};
await mkdir(values.out, { recursive: true });
const jsonFile = join(values.out, `eval-${quick ? 'quick' : 'full'}${budgetSuffix}.json`);
await writeFile(jsonFile, JSON.stringify(report, null, 2) + '\n');
log(`wrote ${jsonFile}`);
const doc = values.doc ?? (quick ? undefined : `docs/evaluation${budgetSuffix}.md`);
if (doc !== undefined) {
  await writeDoc(doc, report);
  log(`wrote ${doc}`);
}
log(`done in ${seconds().toFixed(0)} s`);
