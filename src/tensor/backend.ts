import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BackendError } from '../errors/backend-error.js';
import { ConfigError } from '../errors/config-error.js';
import { tf } from './tf.js';

/** The TensorFlow.js backends titans-stream knows, best first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;

/** A TensorFlow.js backend name. `tensorflow` is tfjs-node / tfjs-node-gpu (native libtensorflow). */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Which backend to use: a name, or `auto` for the best one installed. */
export type BackendChoice = BackendName | 'auto';

/** The backend that is active, and how it was chosen. */
export interface BackendInfo {
  /** The active TensorFlow.js backend. */
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** Why it was chosen: an explicit option, the `TITANS_BACKEND` variable, or automatic detection. */
  readonly chosenBy: 'option' | 'env' | 'auto';
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Backend to use; overrides `TITANS_BACKEND`. Default: `TITANS_BACKEND`, else `auto`. */
  backend?: BackendChoice;
  /** Environment to read `TITANS_BACKEND` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

const require = createRequire(import.meta.url);
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

let active: Promise<BackendInfo> | undefined;
let activeKey: string | undefined;

function resolves(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function parseChoice(value: string, field: string): BackendChoice {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKEND_NAMES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new ConfigError(field, `unknown backend "${value}"; expected one of auto, ${BACKEND_NAMES.join(', ')}`);
}

async function activateTensorflow(): Promise<string> {
  const pkg = NATIVE_PACKAGES.find(resolves);
  if (!pkg) {
    throw new BackendError(
      'backend "tensorflow" is not installed: install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA) at the same version as @tensorflow/tfjs, or use TITANS_BACKEND=wasm',
    );
  }
  try {
    await import(pkg);
  } catch (cause) {
    throw new BackendError(`backend "tensorflow": ${pkg} is installed but failed to load (${String(cause)})`, { cause });
  }
  await setAndCheck('tensorflow');
  return pkg;
}

async function activateWasm(): Promise<string> {
  if (!resolves(WASM_PACKAGE)) {
    throw new BackendError(`backend "wasm" is not installed: npm install ${WASM_PACKAGE} (same version as @tensorflow/tfjs)`);
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Load the .wasm binaries from the installed package, never from a CDN.
  const dist = path.join(path.dirname(require.resolve(`${WASM_PACKAGE}/package.json`)), 'dist');
  wasm.setWasmPaths(pathToFileURL(dist + path.sep).href);
  await setAndCheck('wasm');
  return WASM_PACKAGE;
}

async function setAndCheck(name: BackendName): Promise<void> {
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(`backend "${name}" failed to initialise (TensorFlow.js is on "${tf.getBackend()}")`);
  }
}

async function activate(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow':
      return activateTensorflow();
    case 'wasm':
      return activateWasm();
    case 'cpu':
      await setAndCheck('cpu');
      return '@tensorflow/tfjs-backend-cpu';
  }
}

async function choose(options: InitBackendOptions): Promise<BackendInfo> {
  // Production mode: no debug checks and no console nagging (the CPU backend's "install tfjs-node").
  tf.enableProdMode();
  const env = options.env ?? process.env;
  const fromEnv = env['TITANS_BACKEND'];
  let choice: BackendChoice = 'auto';
  let chosenBy: BackendInfo['chosenBy'] = 'auto';
  if (options.backend !== undefined) {
    choice = parseChoice(options.backend, 'backend');
    chosenBy = 'option';
  } else if (fromEnv !== undefined && fromEnv !== '') {
    choice = parseChoice(fromEnv, 'TITANS_BACKEND');
    chosenBy = 'env';
  }
  if (choice !== 'auto') {
    return { name: choice, package: await activate(choice), chosenBy };
  }
  const candidates: BackendName[] = [];
  if (NATIVE_PACKAGES.some(resolves)) candidates.push('tensorflow');
  if (resolves(WASM_PACKAGE)) candidates.push('wasm');
  candidates.push('cpu');
  let lastError: unknown;
  for (const name of candidates) {
    try {
      return { name, package: await activate(name), chosenBy: 'auto' };
    } catch (e) {
      lastError = e;
    }
  }
  throw new BackendError('no TensorFlow.js backend could be initialised', { cause: lastError });
}

/**
 * Selects and initialises the TensorFlow.js backend, once per process.
 *
 * Order: the `backend` option, else the `TITANS_BACKEND` environment variable, else automatic:
 * `tensorflow` when `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` is installed, else
 * `wasm`, else `cpu`. Calling it again with the same choice returns the same result; a different
 * explicit choice switches backends (tensors made on the old one must be disposed first).
 *
 * @example
 * ```ts
 * const { name } = await initBackend();            // auto
 * await initBackend({ backend: 'cpu' });            // force the CPU backend
 * ```
 * @param options - backend choice and environment.
 * @returns the active backend.
 * @throws {@link BackendError} when the requested backend is not installed or fails to start;
 *   {@link ConfigError} for an unknown backend name.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const key = `${options.backend ?? ''}|${(options.env ?? process.env)['TITANS_BACKEND'] ?? ''}`;
  if (active && activeKey === key) return active;
  activeKey = key;
  active = choose(options);
  active.catch(() => {
    active = undefined;
    activeKey = undefined;
  });
  return active;
}

/** The active backend's name as TensorFlow.js reports it. */
export function activeBackendName(): string {
  return tf.getBackend();
}
