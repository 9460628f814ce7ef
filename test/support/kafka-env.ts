/**
 * Helpers for tests that talk to the real Kafka broker provided by test/global-setup.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, inject } from 'vitest';
import type { KafkaAdmin, KafkaClient, KafkaProducer } from '../../connectors/kafka/index.js';
import { createKafkaJsClient } from '../../connectors/kafka/index.js';
import { KAFKA_HOWTO } from './kafka-context.js';

/**
 * The bootstrap brokers of the test cluster.
 *
 * @returns `host:port` strings
 * @throws Error when no broker is available: Kafka tests fail, they never skip
 */
export function kafkaBrokers(): string[] {
  const list = inject('kafkaBrokers') || process.env.KAFKA_BROKERS || '';
  const brokers = list
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
  if (brokers.length === 0) {
    throw new Error(inject('kafkaUnavailable') || `no Kafka broker: test/global-setup.ts did not run and KAFKA_BROKERS is unset. ${KAFKA_HOWTO}`);
  }
  return brokers;
}

/** A kafkajs-backed client of the test cluster, quiet unless `KAFKA_LOG_LEVEL` says otherwise. */
export function testKafkaClient(): KafkaClient {
  const level = process.env.KAFKA_LOG_LEVEL;
  const logLevel = level === 'error' || level === 'warn' || level === 'info' || level === 'debug' ? level : 'nothing';
  return createKafkaJsClient({ brokers: kafkaBrokers(), clientId: 'titans-stream-test', logLevel });
}

/** Something with a connection to close. */
interface Disconnectable {
  disconnect(): Promise<void>;
}

/** Lazily created Kafka resources for the tests of one file; see {@link useKafka}. */
export interface KafkaTestContext {
  /** The client of the test cluster. @throws Error when there is no broker */
  client(): KafkaClient;
  /** A connected admin shared by the file's tests. */
  admin(): Promise<KafkaAdmin>;
  /** A connected idempotent producer shared by the file's tests. */
  producer(): Promise<KafkaProducer>;
  /** Disconnects `resource` after the current test; returns it. */
  closeAfterTest<T extends Disconnectable>(resource: T): T;
}

/**
 * Registers the hooks of a Kafka test file and returns lazy accessors. Nothing touches Kafka before a
 * test asks for it, so a missing broker fails every Kafka test (a failing `beforeAll` would mark them skipped).
 *
 * @example
 * ```ts
 * const kafka = useKafka();
 * it('creates a topic', async () => {
 *   const admin = await kafka.admin();
 * });
 * ```
 */
export function useKafka(): KafkaTestContext {
  let client: KafkaClient | undefined;
  let admin: Promise<KafkaAdmin> | undefined;
  let producer: Promise<KafkaProducer> | undefined;
  const perTest: Disconnectable[] = [];
  const connected = async <T extends Disconnectable & { connect(): Promise<void> }>(resource: T): Promise<T> => {
    await resource.connect();
    return resource;
  };
  const context: KafkaTestContext = {
    client: () => (client ??= testKafkaClient()),
    admin: () => (admin ??= connected(context.client().admin())),
    producer: () => (producer ??= connected(context.client().producer())),
    closeAfterTest: (resource) => {
      perTest.push(resource);
      return resource;
    },
  };
  afterEach(async () => {
    await Promise.all(perTest.splice(0).map((resource) => resource.disconnect()));
  });
  afterAll(async () => {
    const shared = [admin, producer].filter((p) => p !== undefined);
    await Promise.all(shared.map(async (p) => (await p.catch(() => undefined))?.disconnect()));
  });
  return context;
}

/** A topic or group name no other test (or earlier run) uses: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Polls `condition` until it returns true.
 *
 * @param what - described in the timeout error
 * @param condition - checked every `intervalMs`
 * @param timeoutMs - give up after this long
 * @throws Error naming `what` on timeout
 */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
