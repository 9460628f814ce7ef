import { BufferOverflowError } from '../errors/buffer-overflow-error.js';
import { ConfigError } from '../errors/config-error.js';
import { TitansError } from '../errors/titans-error.js';
import { requirePositiveInteger } from './validate.js';

/**
 * What a bounded buffer does when it is full and another value comes:
 * - `block`: the producer waits (`push()` resolves only when there is room);
 * - `drop-oldest`: the oldest queued value is discarded (counted, reported to `onDrop`);
 * - `error`: the stream fails with a {@link BufferOverflowError}.
 */
export type BufferPolicy = 'block' | 'drop-oldest' | 'error';

/** The named policies, for validation and help texts. */
export const BUFFER_POLICIES: readonly BufferPolicy[] = ['block', 'drop-oldest', 'error'];

/** A bounded buffer: its capacity and what to do when it is full. */
export interface BufferConfig<T> {
  /** Most values held at once (a positive integer). */
  capacity: number;
  /** What happens when a value arrives while the buffer is full. */
  policy: BufferPolicy;
  /**
   * Called with each value discarded under `drop-oldest` and the running count of discarded
   * values. If it throws, the stream fails with that error (after the values already queued).
   */
  onDrop?: (value: T, dropped: number) => void;
  /** Names the buffer in error messages, e.g. `kafka events/3`. Default `push bridge` or `buffer`. */
  name?: string;
}

/** Options of {@link pushBridge}. */
export interface PushBridgeOptions<T> extends BufferConfig<T> {
  /** Aborting it closes the bridge: the consumer's pending or next `next()` rejects with the reason, and so do waiting and later `push()` calls. */
  signal?: AbortSignal;
}

/**
 * Where a push source (event emitter, RxJS subscription, Kafka callback) hands values to a
 * pull consumer, through a bounded queue with a named policy. Iterate it once with
 * `for await`.
 */
export interface PushBridge<T> extends AsyncIterable<T> {
  /**
   * Offers a value. Resolves once the value is queued (or handed straight to a waiting
   * consumer). Under `block` that is when there is room: await it and the producer gets
   * backpressure.
   *
   * @throws {BufferOverflowError} (as a rejection) when full under `error`; the stream then fails with the same error after the values already queued.
   * @throws {TitansError} `ERR_STREAM_CLOSED` (as a rejection) after `end()`, `fail()` or the consumer stopped; `signal.reason` after an abort. Producers that do not await should use {@link PushBridge.tryPush}.
   */
  push(value: T): Promise<void>;
  /**
   * Offers a value without waiting and without throwing.
   *
   * @returns `true` if it was queued (under `drop-oldest` always, while the bridge is open); `false` if the buffer is full under `block` or `error`, or the bridge no longer accepts values.
   */
  tryPush(value: T): boolean;
  /** No more values: the consumer gets what is queued (and what `push()` calls are waiting to queue), then the end. Later calls do nothing. */
  end(): void;
  /** Fails the stream: the consumer gets what is queued, then `error`. Later calls do nothing. */
  fail(error: unknown): void;
  /** Values queued now (not counting `push()` calls still waiting for room). */
  readonly size: number;
  /** Values discarded so far under `drop-oldest`. */
  readonly dropped: number;
}

/**
 * Creates a bridge from a push source to the pull world: a bounded queue with a named
 * policy, one producer side and a single consumer.
 *
 * When the consumer stops (`break`, `return()`), the queue is discarded and waiting `push()`
 * calls reject, so the producer learns it should stop.
 *
 * @example
 * ```ts
 * const bridge = pushBridge<Message>({ capacity: 1000, policy: 'block', signal });
 * consumer.run({ eachMessage: async ({ message }) => bridge.push(message) }); // waits when full
 * for await (const message of bridge) await handle(message);
 * ```
 * @param options - `capacity`, `policy`, optional `onDrop`, `name` and `signal`.
 * @returns The bridge: producer methods plus `[Symbol.asyncIterator]`.
 * @throws {ConfigError} if `capacity` is not a positive integer or `policy` unknown.
 */
export function pushBridge<T>(options: PushBridgeOptions<T>): PushBridge<T> {
  validateBufferConfig('pushBridge', options);
  return new Bridge(options);
}

/**
 * Checks a {@link BufferConfig}; `operator` prefixes the field names in errors.
 *
 * @throws {ConfigError} if `capacity` is not a positive integer or `policy` unknown.
 */
export function validateBufferConfig(operator: string, config: Pick<BufferConfig<unknown>, 'capacity' | 'policy'>): void {
  requirePositiveInteger(`${operator}.capacity`, config.capacity);
  if (!BUFFER_POLICIES.includes(config.policy)) {
    throw new ConfigError(`${operator}.policy`, `unknown policy ${JSON.stringify(config.policy)}; expected one of ${BUFFER_POLICIES.join(', ')}`);
  }
}

interface Pusher<T> {
  readonly value: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Taker<T> {
  readonly resolve: (result: IteratorResult<T, undefined>) => void;
  readonly reject: (error: unknown) => void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class Bridge<T> implements PushBridge<T> {
  readonly #capacity: number;
  readonly #policy: BufferPolicy;
  readonly #onDrop: ((value: T, dropped: number) => void) | undefined;
  readonly #name: string;
  readonly #signal: AbortSignal | undefined;
  readonly #queue: T[] = [];
  /** `push()` calls waiting for room (policy `block`); the queue is full while there are any. */
  readonly #pushers: Pusher<T>[] = [];
  /** Consumer `next()` calls waiting for a value; the queue is empty while there are any. */
  readonly #takers: Taker<T>[] = [];
  /** `open`: accepts values. `ending`: `end()`/`fail()` called, draining. `closed`: nothing more to deliver. */
  #state: 'open' | 'ending' | 'closed' = 'open';
  /** Why values are no longer accepted, for the `push()` rejection. */
  #closedBecause = '';
  /** An error the consumer still has to receive once the queue is drained. */
  #failure: { readonly error: unknown } | undefined;
  #dropped = 0;
  #iterated = false;

  constructor(options: PushBridgeOptions<T>) {
    this.#capacity = options.capacity;
    this.#policy = options.policy;
    this.#onDrop = options.onDrop;
    this.#name = options.name ?? 'push bridge';
    this.#signal = options.signal;
    if (this.#signal?.aborted === true) this.#onAbort();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  get size(): number {
    return this.#queue.length;
  }

  get dropped(): number {
    return this.#dropped;
  }

  push(value: T): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    if (this.#offer(value)) return Promise.resolve();
    if (this.#policy === 'block') {
      return new Promise<void>((resolve, reject) => this.#pushers.push({ value, resolve, reject }));
    }
    const overflow = new BufferOverflowError(this.#name, this.#capacity);
    this.fail(overflow);
    return Promise.reject(overflow);
  }

  tryPush(value: T): boolean {
    return this.#state === 'open' && this.#offer(value);
  }

  end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'ending';
    this.#closedBecause = 'end() was called';
    this.#settleTakers();
  }

  fail(error: unknown): void {
    if (this.#state !== 'open') return;
    this.#state = 'ending';
    this.#closedBecause = 'fail() was called';
    this.#failure = { error };
    this.#settleTakers();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    if (this.#iterated) {
      throw new TitansError('ERR_ALREADY_CONSUMED', `${this.#name}: a push bridge has a single consumer and is already being read`);
    }
    this.#iterated = true;
    const iterator: AsyncIterableIterator<T> = {
      next: () => this.#next(),
      return: () => {
        this.#close('the consumer stopped reading', undefined);
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Queues `value` if that needs no waiting; `false` when full under `block` or `error`. */
  #offer(value: T): boolean {
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      taker.resolve({ done: false, value });
      return true;
    }
    if (this.#queue.length < this.#capacity) {
      this.#queue.push(value);
      return true;
    }
    if (this.#policy !== 'drop-oldest') return false;
    const oldest = this.#queue.shift() as T;
    this.#queue.push(value);
    this.#dropped += 1;
    try {
      this.#onDrop?.(oldest, this.#dropped);
    } catch (error) {
      this.fail(error);
    }
    return true;
  }

  #next(): Promise<IteratorResult<T, undefined>> {
    if (this.#queue.length > 0) {
      const value = this.#queue.shift() as T;
      const pusher = this.#pushers.shift();
      if (pusher !== undefined) {
        this.#queue.push(pusher.value);
        pusher.resolve();
      }
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve, reject) => {
      this.#takers.push({ resolve, reject });
      if (this.#state !== 'open') this.#settleTakers();
    });
  }

  /** Ends the waiting `next()` calls once nothing is left to deliver: the first gets the pending failure, if any. */
  #settleTakers(): void {
    if (this.#queue.length > 0) return;
    if (this.#state === 'ending') this.#finish();
    for (let taker = this.#takers.shift(); taker !== undefined; taker = this.#takers.shift()) {
      const failure = this.#failure;
      this.#failure = undefined;
      if (failure === undefined) taker.resolve(DONE);
      else taker.reject(failure.error);
    }
  }

  /** Stops at once: discards the queue and rejects waiting producers. `failure` goes to the consumer. */
  #close(because: string, failure: { readonly error: unknown } | undefined): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#closedBecause = because;
    this.#finish();
    this.#failure = failure;
    this.#queue.length = 0;
    const error = this.#closedError();
    for (let pusher = this.#pushers.shift(); pusher !== undefined; pusher = this.#pushers.shift()) pusher.reject(error);
    this.#settleTakers();
  }

  #finish(): void {
    this.#state = 'closed';
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #closedError(): unknown {
    if (this.#signal?.aborted === true) return this.#signal.reason;
    return new TitansError('ERR_STREAM_CLOSED', `${this.#name}: cannot accept values, ${this.#closedBecause}`);
  }

  readonly #onAbort = (): void => {
    this.#close('the signal aborted', { error: (this.#signal as AbortSignal).reason });
  };
}
