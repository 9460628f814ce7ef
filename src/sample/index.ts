export {
  sampleLogLines,
  SAMPLE_ANOMALY_KINDS,
  SAMPLE_SERVICES,
  type SampleLogOptions,
  type SampleLogLine,
  type SampleAnomalyKind,
} from './sample-log-lines.js';
export { sampleLogRecords, type SampleLogRecordOptions } from './sample-log-records.js';
