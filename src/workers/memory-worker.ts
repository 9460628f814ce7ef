/**
 * Entry point of a memory worker thread: one TensorFlow.js instance with its own backend, the
 * memories of the keys the pool sends it, and a FIFO of requests handled one at a time (so a
 * key's chunks, exports and disposal happen in the order they were sent).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TitansError } from '../errors/titans-error.js';
import { TokenMemory } from '../memory/token-memory.js';
import { memoryWeightNorm } from '../metrics/weight-norm.js';
import { initBackend } from '../tensor/backend.js';
import { tf } from '../tensor/tf.js';
import type { MemoryWorkerData, WorkerErrorInfo, WorkerReply, WorkerRequest } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('memory-worker.ts must run in a worker thread');
const data = workerData as MemoryWorkerData;
const memories = new Map<string, TokenMemory>();
/** Memories whose last import failed: their next request reports it. */
const failed = new Map<string, unknown>();
let chunks = 0;
/** Milliseconds spent in {@link handle} so far. */
let busyMs = 0;

/** Replies not yet posted, and the buffers they transfer. */
let outbox: WorkerReply[] = [];
let outboxTransfer: ArrayBuffer[] = [];
/** Most replies posted in one message. */
const MAX_BATCH = 16;
/** Requests received and not yet taken up, in order. */
const pending: WorkerRequest[] = [];
/** Whether a request is being handled or the next one is scheduled. */
let pumping = false;
/** Post the queued replies before taking up a request when fewer than this many are left. */
const LOW_WATER = 2;

/**
 * Queues a reply; the queue is posted as one message when it is full, when the worker is about
 * to run out of work (see {@link pump}), or when it has. Waking the other thread costs far more
 * than copying a reply, so a busy worker answers several chunks at once; but the pool sends a
 * key's next chunks only as results come back, so holding every reply until nothing is left would
 * leave the worker idle for a round trip each time: replies go out while the last request is
 * computed.
 */
function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  outbox.push(reply);
  outboxTransfer.push(...transfer);
  if (outbox.length >= MAX_BATCH) flush();
}

function flush(): void {
  if (outbox.length === 0) return;
  port?.postMessage(outbox, outboxTransfer);
  outbox = [];
  outboxTransfer = [];
}

function errorInfo(error: unknown): WorkerErrorInfo {
  if (error instanceof TitansError) return { name: error.name, message: error.message, code: error.code, retriable: error.retriable };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The open memory `name`; reports a failed import of it once. */
function memoryOf(name: string): TokenMemory {
  const failure = failed.get(name);
  if (failure !== undefined) {
    failed.delete(name);
    throw failure;
  }
  const memory = memories.get(name);
  if (memory === undefined) throw new TitansError('ERR_WORKER_KEY', `no open memory "${name}" on this worker`);
  return memory;
}

/** Smallest buffer worth transferring rather than copying: transferring a small one costs more. */
const TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * The buffers of some typed arrays to transfer rather than copy: only large ones, and only a
 * buffer the array fills exactly (never a view into a larger buffer such as the WASM heap).
 */
function buffersOf(...arrays: (ArrayBufferView | undefined)[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of arrays) {
    if (a === undefined || !(a.buffer instanceof ArrayBuffer) || a.byteLength < TRANSFER_MIN_BYTES) continue;
    if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) buffers.add(a.buffer);
  }
  return [...buffers];
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'open':
      if (!memories.has(request.memory)) memories.set(request.memory, TokenMemory.create(data.memory));
      return;
    case 'import':
      try {
        memoryOf(request.memory).importState(request.state);
      } catch (error) {
        failed.set(request.memory, error);
      }
      return;
    case 'process': {
      const memory = memoryOf(request.memory);
      const result = await memory.process(request.tokens, { outputs: request.outputs });
      chunks += 1;
      const { loss, surprise, topK, retrievals } = result;
      send(
        {
          type: 'result',
          id: request.id,
          tokensSeen: memory.tokensSeen,
          ...(loss === undefined ? {} : { loss }),
          ...(surprise === undefined ? {} : { surprise }),
          ...(topK === undefined ? {} : { topK }),
          ...(retrievals === undefined ? {} : { retrievals }),
        },
        buffersOf(loss, surprise, topK?.ids, topK?.probs, retrievals),
      );
      return;
    }
    case 'export': {
      const state = await memoryOf(request.memory).exportState();
      send({ type: 'state', id: request.id, state }, buffersOf(...state.arrays.map((a) => a.data)));
      return;
    }
    case 'dispose':
      memories.get(request.memory)?.dispose();
      memories.delete(request.memory);
      failed.delete(request.memory);
      return;
    case 'stats': {
      const weightNorms: Record<string, number> = {};
      if (request.weightNorms) for (const [name, memory] of memories) weightNorms[name] = memoryWeightNorm(await memory.exportState());
      send({ type: 'stats', id: request.id, stats: { memories: memories.size, numTensors: tf.memory().numTensors, chunks, busyMs, weightNorms } });
      return;
    }
    case 'close':
      for (const memory of memories.values()) memory.dispose();
      memories.clear();
      send({ type: 'closed' });
      flush();
      port?.close();
      return;
  }
}

/** Whether the backend started (the worker then takes requests). */
const started: Promise<boolean> = initBackend(data.backend === undefined ? {} : { backend: data.backend }).then(
  (backend) => {
    send({ type: 'ready', backend: backend.name });
    flush();
    return true;
  },
  (error: unknown) => {
    send({ type: 'error', id: undefined, memory: undefined, error: errorInfo(error) });
    flush();
    port.close();
    return false;
  },
);

/**
 * Handles the next request, then schedules the one after for the next turn of the event loop: the
 * requests posted meanwhile are received in between, so the batching of replies sees how much
 * work is really left (a chain of promise jobs would receive nothing until it ended).
 */
function pump(): void {
  if (pending.length < LOW_WATER) flush();
  const request = pending.shift();
  if (request === undefined) {
    pumping = false;
    return;
  }
  const since = performance.now();
  handle(request)
    .catch((error: unknown) => {
      const id = 'id' in request ? request.id : undefined;
      const memory = 'memory' in request ? request.memory : undefined;
      send({ type: 'error', id, memory, error: errorInfo(error) });
    })
    .finally(() => {
      busyMs += performance.now() - since;
      setImmediate(pump);
    });
}

// The pool posts its requests in batches, in order; they are handled one at a time, in that order.
port.on('message', (requests: WorkerRequest[]) => {
  pending.push(...requests);
  if (pumping) return;
  pumping = true;
  void started.then((ok) => ok && setImmediate(pump));
});
