/**
 * Apache Arrow IPC connector: a record source over streams and files, an incremental sink with
 * backpressure, and a text → Arrow converter.
 * @packageDocumentation
 */
export { readArrowRecords, type ReadArrowOptions, type ArrowReadStats, type ArrowRecords } from './read-arrow-records.js';
export type { ArrowRecordKind } from './column-plan.js';
export { createArrowSink, type ArrowSink, type ArrowSinkOptions, type ArrowSinkStats } from './create-arrow-sink.js';
export type { ArrowColumnType, ArrowRow, ArrowValue } from './batch-builder.js';
export { writeArrow } from './write-arrow.js';
export { validArrowStreamPrefix, type ArrowStreamPrefix } from './valid-arrow-stream-prefix.js';
export { convertTextToArrow, TEXT_ARROW_COLUMNS, type ConvertTextOptions } from './convert-text-to-arrow.js';
export { ArrowColumnError, ArrowCorruptError, type ArrowColumnInfo } from './errors.js';
