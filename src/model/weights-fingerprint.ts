import { createHash } from 'node:crypto';
import type { TitansModel } from './titans-model.js';

/**
 * A fingerprint of a model's configuration and current weights: 16 hex digits of a SHA-256 over
 * the configuration fingerprint and every weight's name, shape and float32 bytes (in name order).
 * Two models give the same fingerprint exactly when they compute the same function; it changes
 * when the model is trained further. Reads the weights synchronously (once per call).
 *
 * @example
 * ```ts
 * const id = weightsFingerprint(model); // e.g. '3f9a0c4e1b2d7a65'
 * ```
 * @param model - The model.
 * @returns 16 lowercase hex digits.
 * @throws {@link InputError} `ERR_DISPOSED` for a disposed model.
 */
export function weightsFingerprint(model: TitansModel): string {
  model.check();
  const hash = createHash('sha256');
  hash.update(model.fingerprint);
  for (const name of Object.keys(model.weights).sort()) {
    const weight = model.weights[name];
    if (weight === undefined) continue;
    const data = weight.dataSync() as Float32Array;
    hash.update(`${name}[${weight.shape.join(',')}]`);
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex').slice(0, 16);
}
