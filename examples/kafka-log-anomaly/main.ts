/**
 * Flags surprising log lines flowing through Kafka: sample service logs (with injected anomalies)
 * are produced to a topic with 3 partitions; a Titans memory per partition reads them as a
 * consumer group, and the lines whose surprise stands out go as JSON alerts to an output topic,
 * which is then read back and printed.
 *
 *   npm run kafka:start                                   # a local broker on 127.0.0.1:9092
 *   npm run build && npx tsx examples/kafka-log-anomaly/main.ts [--records 6000] [--brokers host:port]
 */
import { parseArgs } from 'node:util';
import { initBackend, sampleLogLines } from 'titans-stream';
import { createKafkaJsClient, runKafkaPipeline, type AlertOutput, type KafkaRecord } from 'titans-stream/connectors/kafka';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    records: { type: 'string', default: '6000' },
    seed: { type: 'string', default: '0' },
    'run-id': { type: 'string', default: Date.now().toString(36) },
    cleanup: { type: 'boolean', default: false },
  },
});
const count = Number(values.records);
const partitions = 3;
const prefix = `log-anomaly-${values['run-id']}`;
const topics = { logs: `${prefix}.logs`, alerts: `${prefix}.alerts`, snapshots: `${prefix}.snapshots` };

const backend = await initBackend();
const client = createKafkaJsClient({ brokers: values.brokers.split(','), clientId: 'kafka-log-anomaly' });
const admin = client.admin();
await admin.connect();
await admin.createTopics([
  { topic: topics.logs, numPartitions: partitions },
  { topic: topics.alerts, numPartitions: 1 },
]);

// 1. The log stream: line i goes to partition i mod 3, so (partition, offset) says which line it was.
const lines = [...sampleLogLines({ count, seed: Number(values.seed) })];
const producer = client.producer();
await producer.connect();
for (let start = 0; start < lines.length; start += 1000) {
  const messages = lines.slice(start, start + 1000).map((l) => ({ value: l.line, partition: l.index % partitions }));
  await producer.send([{ topic: topics.logs, messages }]);
}
await producer.disconnect();
console.log(`produced ${count} log lines to ${topics.logs} (${partitions} partitions, ${lines.filter((l) => l.anomaly).length} injected anomalies)`);

// 2. The memory: one per partition; alerts above the 99.5th percentile of the partition's recent lines.
const run = runKafkaPipeline({
  client,
  groupId: prefix,
  topics: [topics.logs],
  memory: { dim: 64, chunkSize: 64, learningRate: 0.05 },
  snapshotTopic: topics.snapshots,
  output: { topic: topics.alerts, scores: false },
  alerts: { quantile: 0.995, window: 2000, warmup: Math.min(200, Math.floor(count / partitions / 4)) },
  source: { idleExitMs: 3000 },
});
const stats = await run.done;

// 3. The alerts, read back from their topic.
const alerts: AlertOutput[] = [];
const reader = client.consumer({ groupId: `${prefix}.reader`, maxWaitTimeMs: 200 });
await reader.connect();
await reader.subscribe([topics.alerts]);
await reader.run({
  eachBatch: async (batch) => {
    alerts.push(...batch.records.map((r: KafkaRecord) => JSON.parse(new TextDecoder().decode(r.value ?? new Uint8Array())) as AlertOutput));
  },
});
while (alerts.length < stats.alerts) await new Promise((resolve) => setTimeout(resolve, 100));
await reader.disconnect();

let hits = 0;
for (const alert of alerts.sort((a, b) => b.score - a.score)) {
  const at = alert.position.kind === 'kafka' ? alert.position : undefined;
  const line = at === undefined ? undefined : lines[Number(at.offset) * partitions + at.partition];
  if (line?.anomaly === true) hits += 1;
  const where = at === undefined ? '?' : `${at.partition}@${at.offset}`;
  console.log(`ALERT ${alert.score.toFixed(3)} > ${alert.bound.toFixed(3)}  ${where}${line?.anomaly === true ? ` [injected: ${line.anomalyKind}]` : ''}  ${alert.text.slice(0, 100)}`);
}
const seconds = stats.seconds.toFixed(1);
console.log(`done: ${alerts.length} alerts on ${topics.alerts} over ${stats.records} records in ${seconds}s on ${backend.name}; ${hits} of them are among the injected anomalies`);

if (values.cleanup) await admin.deleteTopics([topics.logs, topics.alerts, topics.snapshots]);
await admin.disconnect();
