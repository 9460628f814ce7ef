export { formatPosition, streamKeyOf } from './source-position.js';
export type { SourcePosition, TextPosition, ArrowPosition, KafkaPosition, StreamPosition } from './source-position.js';
export type { SourceRecord } from './source-record.js';
export { comparePositions } from './compare-positions.js';
