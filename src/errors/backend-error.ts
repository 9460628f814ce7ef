import { TitansError } from './titans-error.js';

/** A TensorFlow.js backend was asked for but cannot be used (not installed, failed to start). */
export class BackendError extends TitansError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERR_BACKEND', message, options);
  }
}
