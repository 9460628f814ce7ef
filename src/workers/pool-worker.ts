import { Worker } from 'node:worker_threads';
import { TitansError } from '../errors/titans-error.js';
import type { MemoryWorkerData, WorkerErrorInfo, WorkerReply, WorkerRequest } from './worker-protocol.js';

/** Requests that are answered, without their id. */
type Answered = Extract<WorkerRequest, { id: number }>;
type Unanswered = Exclude<WorkerRequest, { id: number }>;
/** An answered request before it gets its id. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** How long a closing worker may take to dispose its memories before it is terminated. */
const CLOSE_GRACE_MS = 5000;

/** An error raised inside a worker, rebuilt on this side of the boundary. */
function remoteError(info: WorkerErrorInfo): TitansError {
  const error = new TitansError(info.code ?? 'ERR_WORKER', info.message, { retriable: info.retriable ?? false });
  error.name = info.name;
  return error;
}

/**
 * The worker's entry: the compiled `memory-worker.js` next to this file, or, when running from
 * the TypeScript sources (tests, tsx), a small ESM bootstrap that registers tsx's loader in the
 * worker and then imports `memory-worker.ts` (on Node 20 `execArgv: ['--import', 'tsx']` does not
 * reach a worker's entry module).
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./memory-worker.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./memory-worker.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

/**
 * The pool's handle on one memory worker thread: requests with replies matched by id, in order;
 * a worker that fails or exits rejects everything still waiting.
 */
export class PoolWorker {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: unknown) => void }>();
  #nextId = 0;
  /** Requests not yet posted, and the buffers they transfer (see {@link PoolWorker.#enqueue}). */
  #outbox: WorkerRequest[] = [];
  #outboxTransfer: ArrayBuffer[] = [];
  #failure: TitansError | undefined;
  #closing = false;
  readonly #exited: Promise<void>;
  /** Resolves with the worker's backend name once its TensorFlow.js instance is ready. */
  readonly ready: Promise<string>;

  /**
   * Starts a worker.
   *
   * @param index - Its index in the pool (for messages).
   * @param data - Its memory configuration and backend.
   */
  constructor(
    readonly index: number,
    data: MemoryWorkerData,
  ) {
    this.#worker = new Worker(workerEntry(), { workerData: data });
    let readyResolve: (backend: string) => void = () => undefined;
    let readyReject: (error: unknown) => void = () => undefined;
    this.ready = new Promise<string>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.ready.catch(() => undefined);
    const onReply = (reply: WorkerReply): void => {
      if (reply.type === 'ready') return readyResolve(reply.backend);
      if (reply.type === 'closed') return;
      if (reply.type === 'error' && reply.id === undefined) {
        const error = remoteError(reply.error);
        readyReject(error);
        return this.#fail(new TitansError('ERR_WORKER', `memory worker ${index} failed${reply.memory === undefined ? '' : ` on memory "${reply.memory}"`}: ${error.message}`, { cause: error }));
      }
      const id = reply.id ?? -1;
      const waiter = this.#waiting.get(id);
      if (waiter === undefined) return;
      this.#waiting.delete(id);
      if (reply.type === 'error') waiter.reject(remoteError(reply.error));
      else waiter.resolve(reply);
    };
    // A worker posts its replies in batches, in order.
    this.#worker.on('message', (replies: WorkerReply[]) => replies.forEach(onReply));
    this.#worker.on('error', (error) => {
      readyReject(error);
      this.#fail(new TitansError('ERR_WORKER', `memory worker ${index} crashed: ${error.message}`, { cause: error }));
    });
    this.#exited = new Promise((resolve) =>
      this.#worker.once('exit', (code) => {
        const failure = new TitansError('ERR_WORKER', `memory worker ${index} exited (code ${code})`);
        readyReject(failure);
        if (!this.#closing) this.#fail(failure);
        resolve();
      }),
    );
  }

  /** Sends a request that is answered; resolves with the reply, rejects with the worker's error. */
  request<R extends WorkerReply['type']>(message: WithoutId<Answered>, expect: R, transfer: ArrayBuffer[] = []): Promise<Extract<WorkerReply, { type: R }>> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, {
        resolve: (reply) => (reply.type === expect ? resolve(reply as Extract<WorkerReply, { type: R }>) : reject(new TitansError('ERR_WORKER', `memory worker ${this.index} answered ${reply.type} to a request for ${expect}`))),
        reject,
      });
      this.#enqueue({ ...message, id } as WorkerRequest, transfer);
    });
  }

  /** Sends a request that is not answered (its failure shows in the key's next answered request). */
  post(message: Unanswered): void {
    if (this.#failure === undefined && !this.#closing) this.#enqueue(message);
  }

  /**
   * Queues a request; the queue is posted as one message once this turn of the event loop has run
   * its callbacks and promise jobs. Each message costs both threads far more (a wake-up, an event,
   * a deserialisation) than the few chunks it carries, and the requests a pipeline makes in one
   * turn (refilling a worker after a batch of results) reach the worker together anyway.
   */
  #enqueue(request: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    if (this.#outbox.length === 0) setImmediate(this.#flush);
    this.#outbox.push(request);
    this.#outboxTransfer.push(...transfer);
  }

  readonly #flush = (): void => {
    const requests = this.#outbox;
    const transfer = this.#outboxTransfer;
    this.#outbox = [];
    this.#outboxTransfer = [];
    if (requests.length > 0 && this.#failure === undefined) this.#worker.postMessage(requests, transfer);
  };

  /**
   * Asks the worker to dispose its memories and exit (after the requests already sent);
   * terminates it if it has not within a grace period. Never rejects.
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      if (this.#failure === undefined) {
        this.#outbox.push({ type: 'close' });
        this.#flush();
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS, 'late')));
    try {
      if ((await Promise.race([this.#exited, grace])) === 'late') await this.#worker.terminate();
    } finally {
      clearTimeout(timer);
    }
    await this.#exited;
    this.#fail(new TitansError('ERR_WORKER', `memory worker ${this.index} is closed`));
  }

  #fail(error: TitansError): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.values()) waiter.reject(this.#failure);
    this.#waiting.clear();
  }
}
