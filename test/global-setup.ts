/**
 * vitest globalSetup: makes a Kafka broker available to the Kafka tests.
 *
 * - `KAFKA_BROKERS` set: that cluster is used as it is.
 * - A broker already answers on 127.0.0.1:${TITANS_KAFKA_PORT:-9092}: it is used and left running.
 * - Otherwise scripts/kafka/start.sh starts the local KRaft broker, and teardown stops it again.
 *
 * The brokers reach the tests as `inject('kafkaBrokers')` and `process.env.KAFKA_BROKERS`. When no broker
 * can be started the run fails at once if `CI` is set; elsewhere the other tests still run and every
 * Kafka test fails with the reason (test/support/kafka-env.ts), never skips.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { KAFKA_HOWTO } from './support/kafka-context.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scripts = join(root, 'scripts', 'kafka');

/** Runs a command; resolves to its stdout, rejects with its stderr tail. Its stderr is echoed as it comes unless `quiet`. */
function run(command: string, args: readonly string[], quiet = false): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!quiet) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${[command, ...args].join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** True when a broker answers metadata at `brokers` right now. */
async function answers(brokers: string): Promise<boolean> {
  try {
    await run('node', [join(scripts, 'wait-ready.mjs'), '--brokers', brokers, '--timeout', '0'], true);
    return true;
  } catch {
    return false;
  }
}

/** Starts (or finds) a broker; resolves to its bootstrap address and whether this call started it. */
async function startLocalBroker(): Promise<{ brokers: string; startedHere: boolean }> {
  const local = `127.0.0.1:${process.env.TITANS_KAFKA_PORT ?? '9092'}`;
  if (await answers(local)) return { brokers: local, startedHere: false };
  const { stdout, stderr } = await run('bash', [join(scripts, 'start.sh')]);
  const brokers = stdout.trim().split('\n').pop() ?? '';
  if (brokers === '') throw new Error('scripts/kafka/start.sh printed no bootstrap address');
  // start.sh is idempotent: a concurrent run may have started the broker first, and owns it then.
  return { brokers, startedHere: !stderr.includes('already running') };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env.KAFKA_BROKERS?.trim();
  if (configured) {
    project.provide('kafkaBrokers', configured);
    project.provide('kafkaUnavailable', '');
    return async () => undefined;
  }

  let started: { brokers: string; startedHere: boolean };
  try {
    started = await startLocalBroker();
  } catch (error) {
    const reason = `no Kafka broker: ${error instanceof Error ? error.message : String(error)}. ${KAFKA_HOWTO}`;
    if (process.env.CI) throw new Error(reason, { cause: error });
    process.stderr.write(`\n${reason}\nKafka tests will fail.\n\n`);
    project.provide('kafkaBrokers', '');
    project.provide('kafkaUnavailable', reason);
    return async () => undefined;
  }

  process.env.KAFKA_BROKERS = started.brokers;
  project.provide('kafkaBrokers', started.brokers);
  project.provide('kafkaUnavailable', '');
  return async () => {
    if (started.startedHere) await run('bash', [join(scripts, 'stop.sh')]);
  };
}
