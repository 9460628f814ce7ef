import { TitansError } from './titans-error.js';

/**
 * A bounded buffer with the `error` policy was full when another item arrived.
 *
 * @example
 * ```ts
 * throw new BufferOverflowError('kafka partition 3', 1000);
 * // BufferOverflowError: kafka partition 3: buffer overflow, capacity 1000 items is full (policy "error")
 * ```
 */
export class BufferOverflowError extends TitansError {
  /** Name of the buffer that overflowed, as given in its options. */
  readonly buffer: string;
  /** The buffer's capacity in items. */
  readonly capacity: number;

  constructor(buffer: string, capacity: number) {
    super('ERR_BUFFER_OVERFLOW', `${buffer}: buffer overflow, capacity ${capacity} items is full (policy "error")`);
    this.buffer = buffer;
    this.capacity = capacity;
  }
}
