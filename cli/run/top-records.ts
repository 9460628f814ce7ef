import type { RecordScore } from '../../src/pipeline/memory-events.js';

/** Keeps the `capacity` highest-scoring records seen (by mean loss). */
export class TopRecords {
  readonly #items: RecordScore[] = [];

  constructor(private readonly capacity: number) {}

  add(score: RecordScore): void {
    if (this.capacity === 0) return;
    const items = this.#items;
    if (items.length === this.capacity && score.meanLoss <= (items[items.length - 1]?.meanLoss ?? -Infinity)) return;
    let i = items.length;
    while (i > 0 && (items[i - 1]?.meanLoss ?? Infinity) < score.meanLoss) i--;
    items.splice(i, 0, score);
    if (items.length > this.capacity) items.pop();
  }

  /** Highest first. */
  list(): readonly RecordScore[] {
    return this.#items;
  }
}
