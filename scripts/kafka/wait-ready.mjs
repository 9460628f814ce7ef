// Waits until a Kafka broker answers metadata requests; used by scripts/kafka/start.sh.
//
// Usage: node wait-ready.mjs --brokers 127.0.0.1:9092 [--pid <broker pid>] [--timeout <seconds>]
// Exits 0 once the broker lists itself and its topics, 1 on timeout, 2 when --pid has exited.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    pid: { type: 'string' },
    timeout: { type: 'string', default: '90' },
  },
});

const brokers = values.brokers.split(',');
const deadline = Date.now() + Number(values.timeout) * 1000;

/** True while the process is alive (a zombie, with an empty command line, counts as exited). */
function alive(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`).length > 0;
  } catch {
    return false;
  }
}

/** One metadata round trip: resolves to the broker count, rejects when the broker does not answer. */
async function probe() {
  const kafka = new kafkajs.Kafka({
    clientId: 'titans-stream-wait-ready',
    brokers,
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.listTopics();
    return cluster.brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

let lastError = 'no attempt yet';
for (;;) {
  if (values.pid !== undefined && !alive(values.pid)) {
    process.stderr.write(`kafka: broker process ${values.pid} exited before answering at ${brokers.join(',')}\n`);
    process.exit(2);
  }
  try {
    if ((await probe()) > 0) process.exit(0);
    lastError = 'the cluster has no broker yet';
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
  }
  if (Date.now() >= deadline) {
    process.stderr.write(`kafka: no answer from ${brokers.join(',')} within ${values.timeout} s (last error: ${lastError})\n`);
    process.exit(1);
  }
  await sleep(500);
}
