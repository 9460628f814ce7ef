import { comparePositions } from '../records/compare-positions.js';
import type { SourcePosition } from '../records/source-position.js';
import type { SourceRecord } from '../records/source-record.js';
import type { RecordScore } from './memory-events.js';
import type { TokenChunk } from './token-chunk.js';

/** The partial score of a record cut by a snapshot, so that a resumed stream scores it whole. */
export interface PartialRecordScore {
  readonly position: SourcePosition;
  readonly tokens: number;
  readonly sumLoss: number;
  readonly maxLoss: number;
  readonly sumSurprise: number;
  readonly maxSurprise: number;
}

/** Accumulates per-token loss and surprise into per-record scores, across chunk boundaries, for one key. */
export class RecordScorer {
  /** A partial score restored from a snapshot, waiting for the rest of its record. */
  #restored: PartialRecordScore | undefined;
  #record: SourceRecord | undefined;
  #tokens = 0;
  #sumLoss = 0;
  #maxLoss = -Infinity;
  #sumSurprise = 0;
  #maxSurprise = -Infinity;

  constructor(readonly key: string) {}

  /** Adds a chunk's per-token values; returns the records the chunk completed. */
  add(chunk: TokenChunk, loss: Float32Array, surprise: Float32Array): RecordScore[] {
    const done: RecordScore[] = [];
    for (const span of chunk.spans) {
      if (this.#record !== span.record) this.#reset(span.record, span.recordOffset);
      for (let i = span.start; i < span.end; i++) {
        const l = loss[i] ?? 0;
        const s = surprise[i] ?? 0;
        this.#sumLoss += l;
        this.#sumSurprise += s;
        if (l > this.#maxLoss) this.#maxLoss = l;
        if (s > this.#maxSurprise) this.#maxSurprise = s;
      }
      this.#tokens += span.end - span.start;
      if (span.endsRecord) {
        done.push(this.#score(span.record));
        this.#record = undefined;
      }
    }
    return done;
  }

  /** The score of the record in progress (for a snapshot), if any. */
  partial(): PartialRecordScore | undefined {
    if (this.#record === undefined) return undefined;
    return { position: this.#record.position, tokens: this.#tokens, sumLoss: this.#sumLoss, maxLoss: this.#maxLoss, sumSurprise: this.#sumSurprise, maxSurprise: this.#maxSurprise };
  }

  /** Continues a record's score from a snapshot when the rest of that record arrives. */
  restore(partial: PartialRecordScore | undefined): void {
    this.#restored = partial;
  }

  #reset(record: SourceRecord, offset: number): void {
    this.#record = record;
    const restored = this.#restored;
    this.#restored = undefined;
    if (restored !== undefined && offset > 0 && comparePositions(restored.position, record.position) === 0) {
      this.#tokens = restored.tokens;
      this.#sumLoss = restored.sumLoss;
      this.#sumSurprise = restored.sumSurprise;
      this.#maxLoss = restored.maxLoss;
      this.#maxSurprise = restored.maxSurprise;
      return;
    }
    this.#tokens = 0;
    this.#sumLoss = 0;
    this.#sumSurprise = 0;
    this.#maxLoss = -Infinity;
    this.#maxSurprise = -Infinity;
  }

  #score(record: SourceRecord): RecordScore {
    const n = Math.max(1, this.#tokens);
    return {
      type: 'record',
      key: this.key,
      record,
      tokens: this.#tokens,
      meanLoss: this.#sumLoss / n,
      maxLoss: this.#maxLoss,
      meanSurprise: this.#sumSurprise / n,
      maxSurprise: this.#maxSurprise,
    };
  }
}
