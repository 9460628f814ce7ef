/**
 * Flags surprising log lines with RxJS: the embedded sample service logs flow through the Titans
 * memory, and standard RxJS operators around it filter, batch and print the alerts.
 *
 *   npm run example:rxjs [-- --records 4000]
 */
import { parseArgs } from 'node:util';
import { bufferTime, filter, mergeMap } from 'rxjs';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer, formatPosition, initBackend, sampleLogLines, sampleLogRecords } from 'titans-stream';
import { chunkTokens, createBackpressure, fromAsyncIterable, neuralMemory, surpriseAlerts, tokenize } from 'titans-stream/operators';

const { values } = parseArgs({ options: { records: { type: 'string', default: '4000' }, seed: { type: 'string', default: '0' } } });
const count = Number(values.records);
const seed = Number(values.seed);

const backend = await initBackend();
// One gate shared by the source and every buffer: a slow memory pauses the source instead of overflowing.
const gate = createBackpressure();
const blocking = { policy: 'block', backpressure: gate, capacity: 16 } as const;
const injected = new Set([...sampleLogLines({ count, seed })].filter((l) => l.anomaly).map((l) => l.index));

let alerts = 0;
let hits = 0;
fromAsyncIterable(sampleLogRecords({ count, seed }), { backpressure: gate })
  .pipe(
    filter((record) => !String(record.value).includes('GET /healthz')), // health checks carry no signal
    tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR, key: () => 'service-logs', ...blocking }),
    chunkTokens(64, blocking),
    neuralMemory({ memory: { dim: 64, chunkSize: 64, learningRate: 0.05 }, ...blocking }),
    surpriseAlerts({ quantile: 0.995, window: 2000, warmup: 200, ...blocking }),
    bufferTime(250),
    filter((batch) => batch.length > 0),
    mergeMap((batch) => batch),
  )
  .subscribe({
    next(alert) {
      alerts += 1;
      const index = alert.position.kind === 'stream' ? alert.position.index : -1;
      const known = injected.has(index);
      if (known) hits += 1;
      console.log(`ALERT ${alert.score.toFixed(3)} > ${alert.bound.toFixed(3)}  ${formatPosition(alert.position)}${known ? ' [injected]' : ''}  ${String(alert.record.value).slice(0, 90)}`);
    },
    error(error: unknown) {
      console.error('pipeline failed:', error);
      process.exitCode = 1;
    },
    complete() {
      console.log(`done: ${alerts} alerts over ${count} records on ${backend.name}; ${hits} of them are among the ${injected.size} injected anomalies`);
    },
  });
