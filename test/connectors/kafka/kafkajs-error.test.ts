import { kafkajs } from '../../../connectors/kafka/kafkajs-library.js';
import { describe, expect, it } from 'vitest';
import { KafkaConnectorError } from '../../../connectors/kafka/index.js';
import { fromKafkaJsError, originalKafkaJsError } from '../../../connectors/kafka/kafkajs-error.js';
import { InputError } from '../../../src/errors/index.js';

describe('fromKafkaJsError', () => {
  it('keeps the protocol error type and kafkajs retriable flag', () => {
    const cause = new kafkajs.KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true } as unknown as Error);
    const error = fromKafkaJsError('producer.send(topics=t)', cause) as KafkaConnectorError;
    expect(error).toBeInstanceOf(KafkaConnectorError);
    expect(error.code).toBe('ERR_KAFKA_PROTOCOL');
    expect(error.protocolType).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('kafka producer.send(topics=t) failed: This server does not host this topic-partition');
  });

  it('calls exhausted retries over a connection failure a retriable connection error', () => {
    const connection = new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1');
    const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(connection, { retryCount: 5, retryTime: 3000 });
    expect(exhausted.retriable).toBe(false);
    const error = fromKafkaJsError('admin.connect', exhausted) as KafkaConnectorError;
    expect(error.code).toBe('ERR_KAFKA_CONNECTION');
    expect(error.retriable).toBe(true);
    expect(originalKafkaJsError(error)).toBe(exhausted);
  });

  it('reads the item errors of an aggregate error', () => {
    const item = new kafkajs.KafkaJSProtocolError({ message: 'Configuration is invalid', type: 'INVALID_CONFIG', code: 40, retriable: false } as unknown as Error);
    const aggregate = new kafkajs.KafkaJSAggregateError('Topic creation errors', [item]);
    const error = fromKafkaJsError('admin.createTopics(t)', aggregate) as KafkaConnectorError;
    expect(error.protocolType).toBe('INVALID_CONFIG');
    expect(error.retriable).toBe(false);
    expect(error.message).toBe('kafka admin.createTopics(t) failed: Topic creation errors: Configuration is invalid');
    expect(originalKafkaJsError(error)).toBeUndefined();
  });

  it('leaves errors that are not kafkajs errors alone', () => {
    const own = new InputError('ERR_INPUT_EMPTY', 'empty record');
    const bug = new TypeError('x is undefined');
    expect(fromKafkaJsError('consumer.run', own)).toBe(own);
    expect(fromKafkaJsError('consumer.run', bug)).toBe(bug);
  });
});
