import { describe, expect, it } from 'vitest';
import type { KafkaLogEntry } from '../../../connectors/kafka/index.js';
import { createKafkaJsClient } from '../../../connectors/kafka/index.js';
import { ConfigError } from '../../../src/errors/index.js';
import { kafkaBrokers } from '../../support/kafka-env.js';

describe('createKafkaJsClient', () => {
  it('needs at least one broker', () => {
    expect(() => createKafkaJsClient({ brokers: [] })).toThrow(ConfigError);
  });

  it('is silent by default and passes kafkajs logs on at the level asked for', async () => {
    const logs = { nothing: [] as KafkaLogEntry[], debug: [] as KafkaLogEntry[] };
    for (const logLevel of ['nothing', 'debug'] as const) {
      const admin = createKafkaJsClient({ brokers: kafkaBrokers(), logLevel, log: (entry) => logs[logLevel].push(entry) }).admin();
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
    }
    expect(logs.nothing).toEqual([]);
    expect(logs.debug.length).toBeGreaterThan(0);
    expect(logs.debug.some((entry) => entry.level === 'debug')).toBe(true);
    for (const entry of logs.debug) {
      expect(['error', 'warn', 'info', 'debug']).toContain(entry.level);
      expect(typeof entry.message).toBe('string');
      expect(typeof entry.namespace).toBe('string');
    }
  });
});
