export type {
  KafkaAdmin,
  KafkaAssignment,
  KafkaAssignmentListener,
  KafkaBatch,
  KafkaBatchContext,
  KafkaBatchHandler,
  KafkaClient,
  KafkaCommittedOffset,
  KafkaConsumer,
  KafkaConsumerOptions,
  KafkaCrash,
  KafkaMessage,
  KafkaMessageHeaders,
  KafkaPartitionOffsets,
  KafkaProducer,
  KafkaProducerOptions,
  KafkaRecord,
  KafkaRecordHeaders,
  KafkaRunOptions,
  KafkaSender,
  KafkaSendResult,
  KafkaSubscribeOptions,
  KafkaTopicMessages,
  KafkaTopicPartition,
  KafkaTopicPartitionOffset,
  KafkaTopicPartitions,
  KafkaTopicSpec,
  KafkaTransaction,
} from './client.js';
export { KafkaConnectorError, type KafkaConnectorErrorOptions, type KafkaErrorCode } from './errors.js';
export { createKafkaJsClient, type KafkaJsClientOptions, type KafkaLogEntry, type KafkaLogLevel } from './kafkajs-client.js';
export {
  BAD_RECORD_CODES,
  BAD_RECORD_POLICIES,
  DEAD_LETTER_HEADERS,
  DEFAULT_MAX_RECORD_BYTES,
  badRecordError,
  classifyRecord,
  deadLetterMessage,
  type BadRecordChecks,
  type BadRecordPolicy,
  type BadRecordReason,
} from './bad-records.js';
export type { KafkaPartitionProgress, KafkaSourceOptions, KafkaSourceStats } from './kafka-source-options.js';
export { kafkaRecords, type KafkaRecordSource } from './kafka-records.js';
export { kafkaPartitions, type KafkaPartitionSource, type KafkaPartitionStream } from './kafka-partitions.js';
export { retryRetriable, isRetriable, type RetryOptions } from './retry-retriable.js';
export { SNAPSHOT_PART_HEADERS, assembleSnapshot, partMessage, partMessageKey, readPart, splitSnapshot, type SnapshotPart, type SplitOptions } from './snapshot-parts.js';
export { KafkaSnapshotStore, type KafkaSnapshotStoreOptions } from './kafka-snapshot-store.js';
export { readTopicToEnd, type ReadTopicOptions } from './read-topic-to-end.js';
export { OUTPUT_TYPE_HEADER, alertMessage, recordScoreMessage, type AlertOutput, type RecordScoreOutput } from './output-messages.js';
export { KafkaOutputSink, type KafkaOutputSinkOptions } from './kafka-output-sink.js';
export { kafkaMemoryOutputs, type KafkaMemoryOutputsOptions, type MemoryOutputs } from './memory-outputs.js';
export { PartitionTransaction, isFenced, type PartitionTransactionOptions } from './partition-transaction.js';
export {
  resumeOffset,
  runKafkaPipeline,
  type KafkaMemoryPipeline,
  type KafkaMemoryPipelineOptions,
  type KafkaPipelineOutput,
  type KafkaPipelineStats,
} from './kafka-memory-pipeline.js';
