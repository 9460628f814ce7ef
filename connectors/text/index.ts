/**
 * Text sources and sinks: files, stdin and streams, one record per line (or any delimiter).
 * @packageDocumentation
 */
export { readTextRecords, type ReadTextOptions, type TextResumePoint } from './read-text-records.js';
export { writeTextLines, type WriteTextOptions, type WriteTextResult } from './write-text-lines.js';
