import { describe, expect, it } from 'vitest';
import { COPY_LETTERS, copyDocuments } from '../../../bench/eval/copy.js';
import { SeededRandom } from '../../../src/random/index.js';

describe('copyDocuments', () => {
  it('writes each random string twice, weighting the second copy 1 and the first firstWeight', () => {
    const { tokens, weights } = copyDocuments(20, 8, new SeededRandom(1), 0.25);
    expect(tokens).toHaveLength(20 * 16);
    const firsts = new Set<string>();
    for (let d = 0; d < 20; d++) {
      const doc = tokens.subarray(d * 16, (d + 1) * 16);
      expect(Array.from(doc.subarray(8))).toEqual(Array.from(doc.subarray(0, 8)));
      doc.forEach((t) => expect(t >= 97 && t < 97 + COPY_LETTERS).toBe(true));
      firsts.add(Array.from(doc.subarray(0, 8)).join(','));
      expect(Array.from(weights.subarray(d * 16, (d + 1) * 16))).toEqual([...Array(8).fill(0.25), ...Array(8).fill(1)]);
    }
    expect(firsts.size).toBe(20);
  });

  it('is reproducible from its seed', () => {
    expect(copyDocuments(5, 16, new SeededRandom('x')).tokens).toEqual(copyDocuments(5, 16, new SeededRandom('x')).tokens);
  });
});
