import { InputError } from '../errors/index.js';
import type { StateArray } from '../memory/index.js';
import type { ResolvedTitansModelConfig } from './model-config.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';
import type { NamedArray } from './safetensors.js';
import { TitansModel } from './titans-model.js';
import type { TrainerState } from './trainer.js';

/** Format tag of a checkpoint's `config.json`. */
export const CHECKPOINT_FORMAT = 'titans-stream.checkpoint';
/** Version of the checkpoint layout this code writes and reads. */
export const CHECKPOINT_VERSION = 1;
/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = { config: 'config.json', model: 'model.safetensors', optimizer: 'optimizer.safetensors' } as const;

/** Where a checkpoint's files live: a directory, a map in memory, an object store. */
export interface CheckpointStore {
  /** The file's bytes, or `undefined` when it does not exist. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Replaces the file (atomically, ideally). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** How to name the store in error messages, e.g. its directory. */
  readonly location: string;
}

/** Training progress saved beside the weights. */
export interface CheckpointTraining {
  /** The trainer's options, optimizer step and sampler state (the moments go to `optimizer.safetensors`). */
  readonly trainer: TrainerState;
  /** Anything JSON the caller wants back on resume (data source, elapsed time, best loss…). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The `config.json` of a checkpoint. */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: number;
  readonly model: ResolvedTitansModelConfig;
  /** Optimizer steps behind the weights (0 for an untrained model). */
  readonly step: number;
  readonly training?: {
    readonly options: TrainerState['options'];
    readonly rng: TrainerState['rng'];
    readonly extra?: Readonly<Record<string, unknown>>;
  };
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  readonly model: TitansModel;
  readonly manifest: CheckpointManifest;
  /** The trainer state to resume from (when the checkpoint has one). */
  readonly trainer: TrainerState | undefined;
}

function fileError(code: string, store: CheckpointStore, file: string, problem: string, cause?: unknown): InputError {
  return new InputError(code, `checkpoint ${store.location}: ${file}: ${problem}`, undefined, cause === undefined ? {} : { cause });
}

/**
 * Writes a checkpoint: `model.safetensors` (every weight, float32, by name), with training
 * `optimizer.safetensors` (AdamW moments `m.{name}`, `v.{name}`), and last `config.json` (format,
 * version, resolved model configuration, step, trainer options and sampler state). The step is
 * also written into each safetensors file's metadata, so that a reader notices files from
 * different saves. See docs/checkpoint-format.md.
 *
 * @example
 * ```ts
 * await saveCheckpoint(store, model, { trainer: await trainer.exportState() });
 * ```
 * @param store - Where to write.
 * @param model - The model.
 * @param training - Trainer state to resume from, if any.
 * @returns When every file is written.
 */
export async function saveCheckpoint(store: CheckpointStore, model: TitansModel, training?: CheckpointTraining): Promise<void> {
  const step = training?.trainer.optimizer.step ?? 0;
  const meta = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), step: String(step), fingerprint: model.fingerprint };
  const weights: NamedArray[] = [];
  for (const [name, t] of Object.entries(model.tensors)) weights.push({ name, shape: t.shape, data: (await t.data()) as Float32Array });
  await store.write(CHECKPOINT_FILES.model, encodeSafetensors(weights, { ...meta, content: 'weights' }));
  if (training) {
    const moments = training.trainer.optimizer.arrays.map((a: StateArray) => ({ name: a.name, shape: a.shape, data: a.data }));
    await store.write(CHECKPOINT_FILES.optimizer, encodeSafetensors(moments, { ...meta, content: 'optimizer' }));
  }
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    model: model.config,
    step,
    ...(training
      ? { training: { options: training.trainer.options, rng: training.trainer.rng, ...(training.extra ? { extra: training.extra } : {}) } }
      : {}),
  };
  await store.write(CHECKPOINT_FILES.config, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
}

async function readFile(store: CheckpointStore, name: string): Promise<Uint8Array> {
  const bytes = await store.read(name);
  if (!bytes) throw fileError('ERR_CHECKPOINT_MISSING', store, name, 'file is missing');
  return bytes;
}

function checkMetadata(store: CheckpointStore, file: string, metadata: Readonly<Record<string, string>>, manifest: CheckpointManifest): void {
  if (metadata['format'] !== CHECKPOINT_FORMAT || metadata['version'] !== String(manifest.version)) {
    throw fileError('ERR_CHECKPOINT_VERSION', store, file, `metadata says format ${metadata['format'] ?? '(none)'} version ${metadata['version'] ?? '(none)'}, config.json says ${CHECKPOINT_FORMAT} version ${manifest.version}`);
  }
  if (metadata['step'] !== String(manifest.step)) {
    throw fileError('ERR_CHECKPOINT_FORMAT', store, file, `was written at step ${metadata['step'] ?? '(none)'}, config.json is at step ${manifest.step} (files from different saves)`);
  }
}

/**
 * Reads and validates a checkpoint written by {@link saveCheckpoint}: the manifest's format and
 * version, the model configuration, every weight's presence and shape, the files' byte layout,
 * and (when present) the optimizer moments. Every error names the file and the problem.
 *
 * @example
 * ```ts
 * const { model, trainer } = await loadCheckpoint(store);
 * ```
 * @param store - Where to read.
 * @param options - `optimizer: false` skips the optimizer file (inference only).
 * @returns The model (owned by the caller), the manifest, and the trainer state if any.
 * @throws {@link InputError} `ERR_CHECKPOINT_MISSING` (a file is missing), `ERR_CHECKPOINT_VERSION`
 *   (another format or version), `ERR_CHECKPOINT_FORMAT` (malformed or truncated file),
 *   `ERR_CHECKPOINT_SHAPE` (a weight missing, unknown or misshapen); {@link ConfigError} for an invalid model configuration.
 */
export async function loadCheckpoint(store: CheckpointStore, options: { readonly optimizer?: boolean } = {}): Promise<LoadedCheckpoint> {
  const configBytes = await readFile(store, CHECKPOINT_FILES.config);
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(configBytes)) as CheckpointManifest;
  } catch (cause) {
    throw fileError('ERR_CHECKPOINT_FORMAT', store, CHECKPOINT_FILES.config, 'is not valid JSON', cause);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== CHECKPOINT_FORMAT) {
    throw fileError('ERR_CHECKPOINT_VERSION', store, CHECKPOINT_FILES.config, `format is ${JSON.stringify((manifest as { format?: unknown } | null)?.format)}, expected "${CHECKPOINT_FORMAT}"`);
  }
  if (manifest.version !== CHECKPOINT_VERSION) {
    throw fileError('ERR_CHECKPOINT_VERSION', store, CHECKPOINT_FILES.config, `version ${JSON.stringify(manifest.version)} is not supported (this build reads version ${CHECKPOINT_VERSION})`);
  }
  if (!Number.isSafeInteger(manifest.step) || manifest.step < 0) throw fileError('ERR_CHECKPOINT_FORMAT', store, CHECKPOINT_FILES.config, `invalid step ${JSON.stringify(manifest.step)}`);
  const weightsFile = decodeSafetensors(await readFile(store, CHECKPOINT_FILES.model), `checkpoint ${store.location}: ${CHECKPOINT_FILES.model}`);
  checkMetadata(store, CHECKPOINT_FILES.model, weightsFile.metadata, manifest);
  if (weightsFile.tensors.some((t) => !(t.data instanceof Float32Array))) throw fileError('ERR_CHECKPOINT_FORMAT', store, CHECKPOINT_FILES.model, 'weights must be F32');
  let model: TitansModel;
  try {
    model = TitansModel.fromWeights(manifest.model, Object.fromEntries(weightsFile.tensors.map((t) => [t.name, { shape: t.shape, data: t.data as Float32Array }])));
  } catch (e) {
    if (e instanceof InputError && e.code === 'ERR_MODEL_WEIGHTS') throw fileError('ERR_CHECKPOINT_SHAPE', store, CHECKPOINT_FILES.model, e.message, e);
    throw e;
  }
  let trainer: TrainerState | undefined;
  try {
    if (manifest.training && options.optimizer !== false) {
      const moments = decodeSafetensors(await readFile(store, CHECKPOINT_FILES.optimizer), `checkpoint ${store.location}: ${CHECKPOINT_FILES.optimizer}`);
      checkMetadata(store, CHECKPOINT_FILES.optimizer, moments.metadata, manifest);
      const arrays: StateArray[] = moments.tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32', data: t.data }));
      for (const [name, t] of Object.entries(model.tensors)) {
        for (const kind of ['m', 'v']) {
          const a = arrays.find((x) => x.name === `${kind}.${name}`);
          if (!a || a.shape.length !== t.shape.length || a.shape.some((s, i) => s !== t.shape[i])) {
            throw fileError('ERR_CHECKPOINT_SHAPE', store, CHECKPOINT_FILES.optimizer, `moment "${kind}.${name}" is missing or not of shape [${t.shape.join(', ')}]`);
          }
        }
      }
      trainer = { options: manifest.training.options, rng: manifest.training.rng, optimizer: { step: manifest.step, arrays } };
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, manifest, trainer };
}
